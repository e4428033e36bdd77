/*
 * Headers and per-packet metadata shared by the v1model and TNA programs.
 * Wire layout: Ethernet | Talaria (optional, EtherType 0x88B5) | IPv4 | TCP or UDP.
 */
#ifndef TALARIA_HEADER_P4
#define TALARIA_HEADER_P4

#include "define.p4"

header ethernet_t {
    mac_addr_t dst_addr;
    mac_addr_t src_addr;
    bit<16>    ether_type;
}

// docs/wire-format.md, "Byte layout": 16 bytes, fixed offsets, big-endian.
header talaria_t {
    bit<4>       version;
    bit<4>       flags;
    bit<8>       reserved;
    bit<16>      next_type;
    service_id_t service_id;
    slot_t       slot;
    key_epoch_t  key_epoch;  // epoch of the switch key that made the tag
    tag_t        tag;
}

header ipv4_t {
    bit<4>      version;
    bit<4>      ihl;
    bit<8>      dscp_ecn;
    bit<16>     total_len;
    bit<16>     identification;
    bit<1>      reserved_flag;
    bit<1>      dont_fragment;
    bit<1>      more_fragments;
    bit<13>     frag_offset;
    bit<8>      ttl;
    bit<8>      protocol;
    bit<16>     hdr_checksum;
    ipv4_addr_t src_addr;
    ipv4_addr_t dst_addr;
}

// TCP options and data are payload to the switch: it never parses past 20 bytes.
header tcp_t {
    l4_port_t src_port;
    l4_port_t dst_port;
    bit<32>   seq_no;
    bit<32>   ack_no;
    bit<4>    data_offset;
    bit<4>    reserved;
    bit<8>    flags;
    bit<16>   window;
    bit<16>   checksum;
    bit<16>   urgent_ptr;
}

header udp_t {
    l4_port_t src_port;
    l4_port_t dst_port;
    bit<16>   len;
    bit<16>   checksum;
}

struct headers_t {
    ethernet_t ethernet;
    talaria_t  talaria;
    ipv4_t     ipv4;
    tcp_t      tcp;
    udp_t      udp;
}

// The client-side connection tuple the tag covers (docs/wire-format.md, "The tag").
struct connection_t {
    ipv4_addr_t client_addr;
    ipv4_addr_t vip_addr;
    l4_port_t   client_port;
    l4_port_t   vip_port;
    bit<8>      protocol;
}

struct local_metadata_t {
    // Set by the architecture's parser bridge before ingress validation.
    bool          parser_failed;
    bool          ipv4_checksum_failed;
    bool          frame_shorter_than_ipv4_total_len;

    // L4 ports of TCP or UDP, whichever is valid; rewrites go here and are written back
    // to the header once at the end of ingress.
    bool          l4_valid;
    l4_port_t     l4_src_port;
    l4_port_t     l4_dst_port;
    bool          l4_rewritten;
    bit<16>       l4_len;  // IPv4 payload length, for the TCP pseudo-header
    // TNA only: the L4 checksum minus the fields the pipeline may rewrite, deposited by
    // the parser's checksum unit for the deparser's incremental update.
    bit<16>       l4_checksum_residual;

    bool          drop;
    drop_reason_t drop_reason;

    // tag_key: the key epoch the switch stamps with, its key and the previous epoch's.
    key_epoch_t   key_epoch;
    tag_key_t     current_key;
    tag_key_t     previous_key;
    bool          from_agent_port;
    connection_t  connection;
    service_id_t  service_id;
    slot_t        slot;
    bool          slot_picked;
    bool          is_frontend;
    tag_t         computed_tag;  // the tag the switch stamps (current key)
    tag_t         verify_tag;    // a cookie's tag under the key of its epoch
    ipv4_addr_t   backend_addr;  // backends: the slot's backend
    l4_port_t     backend_port;
    // Reply path: the frontend that service_id names.
    ipv4_addr_t   reply_vip_addr;
    l4_port_t     reply_vip_port;
    bit<8>        reply_protocol;
}

#endif  // TALARIA_HEADER_P4
