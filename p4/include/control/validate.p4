/*
 * PacketValidator: the sanity checks every packet passes before load balancing, in the
 * order of docs/p4-pipeline.md ("Validation"). The first failing check names the drop
 * reason. Architecture-specific facts (parser error, IPv4 checksum result, frame length)
 * arrive in local_metadata_t, filled by each architecture's bridge.
 */
#ifndef TALARIA_CONTROL_VALIDATE_P4
#define TALARIA_CONTROL_VALIDATE_P4

#include "../header.p4"

control PacketValidator(in headers_t hdr, inout local_metadata_t meta) {
    @hidden action mark_drop(drop_reason_t reason) {
        meta.drop = true;
        meta.drop_reason = reason;
    }

    apply {
        bit<16> ipv4_payload_len = hdr.ipv4.total_len - IPV4_MIN_HEADER_BYTES;
        if (meta.parser_failed) {
            mark_drop(DROP_REASON_PARSE_ERROR);
        } else if (hdr.talaria.isValid() && hdr.talaria.version != TALARIA_VERSION) {
            mark_drop(DROP_REASON_BAD_VERSION);
        } else if (hdr.talaria.isValid() && hdr.talaria.next_type != ETHERTYPE_IPV4) {
            mark_drop(DROP_REASON_UNSUPPORTED_NEXT_TYPE);
        } else if (!hdr.ipv4.isValid()) {
            mark_drop(DROP_COUNTER_NOT_IPV4);
        } else if (hdr.ipv4.version != IPV4_VERSION || hdr.ipv4.ihl < IPV4_MIN_IHL) {
            mark_drop(DROP_REASON_PARSE_ERROR);
        } else if (hdr.ipv4.ihl > IPV4_MIN_IHL) {
            mark_drop(DROP_REASON_IPV4_OPTIONS);
        } else if (meta.ipv4_checksum_failed) {
            mark_drop(DROP_REASON_BAD_IPV4_CHECKSUM);
        } else if (hdr.ipv4.total_len < IPV4_MIN_HEADER_BYTES
                   || meta.frame_shorter_than_ipv4_total_len) {
            mark_drop(DROP_REASON_PARSE_ERROR);
        } else if (hdr.tcp.isValid()
                   && (hdr.tcp.data_offset < TCP_MIN_DATA_OFFSET
                       || ((bit<16>)hdr.tcp.data_offset << 2) > ipv4_payload_len)) {
            mark_drop(DROP_REASON_PARSE_ERROR);
        } else if (hdr.udp.isValid()
                   && (hdr.udp.len < UDP_HEADER_BYTES || hdr.udp.len != ipv4_payload_len)) {
            mark_drop(DROP_REASON_PARSE_ERROR);
        } else if (hdr.ipv4.ttl <= 1) {
            mark_drop(DROP_REASON_TTL_EXPIRED);
        }
    }
}

#endif  // TALARIA_CONTROL_VALIDATE_P4
