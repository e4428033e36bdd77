/*
 * v1model parser and IPv4 checksum verification. BMv2 does not drop on a parser error
 * or a bad checksum: it sets standard_metadata.parser_error and .checksum_error and
 * runs ingress, where PacketValidator drops the packet by reason.
 */
#ifndef TALARIA_V1MODEL_PARSER_P4
#define TALARIA_V1MODEL_PARSER_P4

#include "../include/parser.p4"

parser TalariaParser(packet_in packet,
                     out headers_t hdr,
                     inout local_metadata_t meta,
                     inout standard_metadata_t standard_metadata) {
    TalariaHeaderParser() header_parser;

    state start {
        header_parser.apply(packet, hdr, meta);
        transition accept;
    }
}

control TalariaVerifyChecksum(inout headers_t hdr, inout local_metadata_t meta) {
    apply {
        // With options (IHL > 5) the checksum covers bytes the parser never extracted;
        // such packets are dropped as IPV4_OPTIONS instead.
        verify_checksum(hdr.ipv4.isValid() && hdr.ipv4.ihl == IPV4_MIN_IHL,
            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.dscp_ecn, hdr.ipv4.total_len,
              hdr.ipv4.identification, hdr.ipv4.reserved_flag, hdr.ipv4.dont_fragment,
              hdr.ipv4.more_fragments, hdr.ipv4.frag_offset, hdr.ipv4.ttl,
              hdr.ipv4.protocol, hdr.ipv4.src_addr, hdr.ipv4.dst_addr },
            hdr.ipv4.hdr_checksum, HashAlgorithm.csum16);
    }
}

#endif  // TALARIA_V1MODEL_PARSER_P4
