/*
 * Talaria constants shared by the v1model and TNA programs. The wire values (EtherTypes,
 * header version and flags, drop reason codes) are fixed by docs/wire-format.md; the
 * drop reasons must agree with src/wire/drop-reasons.ts and bpf/lib/drop_reasons.h
 * (test/unit/wire-drop-reasons.test.ts checks it).
 */
#ifndef TALARIA_DEFINE_P4
#define TALARIA_DEFINE_P4

typedef bit<48> mac_addr_t;
typedef bit<32> ipv4_addr_t;
typedef bit<16> l4_port_t;
typedef bit<32> service_id_t;
typedef bit<16> slot_t;
typedef bit<32> tag_t;
typedef bit<64> tag_key_t;     // HalfSipHash-2-4 key (docs/wire-format.md, "The tag")
typedef bit<16> key_epoch_t;
typedef bit<9>  switch_port_t;
typedef bit<8>  drop_reason_t;

const bit<16> ETHERTYPE_IPV4    = 0x0800;
const bit<16> ETHERTYPE_IPV6    = 0x86DD;  // reserved as a Talaria next_type, not handled yet
const bit<16> ETHERTYPE_TALARIA = 0x88B5;  // IEEE 802 Local Experimental EtherType 1

const bit<8> IP_PROTO_TCP = 6;
const bit<8> IP_PROTO_UDP = 17;

const bit<4> IPV4_VERSION = 4;
const bit<4> IPV4_MIN_IHL = 5;              // 20-byte header, no options
const bit<16> IPV4_MIN_HEADER_BYTES = 20;
const bit<4> TCP_MIN_DATA_OFFSET = 5;        // 20-byte header, no options
const bit<16> UDP_HEADER_BYTES = 8;
const bit<32> ETHERNET_HEADER_BYTES = 14;
const bit<32> TALARIA_HEADER_BYTES = 16;

const bit<4> TALARIA_VERSION      = 1;
const bit<4> TALARIA_FLAG_COOKIE  = 0x1;     // slot and tag are valid
const bit<4> TALARIA_FLAG_REPLY   = 0x2;     // backend -> client

const bit<8> TCP_FLAG_SYN = 0x02;
const bit<8> TCP_FLAG_ACK = 0x10;

// Drop reasons (docs/wire-format.md, "Drop reasons"): index of drop_counter.
const drop_reason_t DROP_REASON_PARSE_ERROR           = 1;
const drop_reason_t DROP_REASON_BAD_IPV4_CHECKSUM     = 2;
const drop_reason_t DROP_REASON_IPV4_OPTIONS          = 3;
const drop_reason_t DROP_REASON_TTL_EXPIRED           = 4;
const drop_reason_t DROP_REASON_BAD_VERSION           = 5;
const drop_reason_t DROP_REASON_UNSUPPORTED_NEXT_TYPE = 6;
const drop_reason_t DROP_REASON_SERVICE_MISMATCH      = 7;
const drop_reason_t DROP_REASON_BAD_TAG               = 8;
const drop_reason_t DROP_REASON_UNKNOWN_SLOT          = 9;
const drop_reason_t DROP_REASON_NO_BACKEND            = 10;
const drop_reason_t DROP_REASON_NO_ROUTE              = 11;
const drop_reason_t DROP_REASON_UNKNOWN_SERVICE       = 12;
const drop_reason_t DROP_REASON_NOT_AGENT_PORT        = 13;
const drop_reason_t DROP_REASON_REPLY_NOT_FROM_BACKEND = 14;
const drop_reason_t DROP_REASON_SYN_WITH_COOKIE       = 15;
const drop_reason_t DROP_REASON_STALE_KEY_EPOCH       = 16;

// drop_counter index 0 is not a drop reason: it counts frames the switch does not route
// at all (neither IPv4 nor Talaria: ARP, IPv6, LLDP). Hosts never see this code.
const drop_reason_t DROP_COUNTER_NOT_IPV4 = 0;

#endif  // TALARIA_DEFINE_P4
