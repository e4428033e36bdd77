/*
 * TNA ingress deparser (checksums, emission) and the pass-through egress.
 *
 * The IPv4 header checksum is recomputed on every forwarded packet. TCP and UDP
 * checksums are updated incrementally from the parser's residual, only when ingress
 * rewrote an address or port; a UDP checksum of 0 ("none") stays 0, and a computed 0
 * goes out as 0xFFFF (RFC 768).
 */
#ifndef TALARIA_TNA_DEPARSER_P4
#define TALARIA_TNA_DEPARSER_P4

#include "../include/deparser.p4"

control TalariaIngressDeparser(packet_out packet,
                               inout headers_t hdr,
                               in local_metadata_t meta,
                               in ingress_intrinsic_metadata_for_deparser_t ig_dprsr_md) {
    Checksum() ipv4_checksum;
    Checksum() tcp_checksum;
    Checksum() udp_checksum;
    TalariaHeaderEmitter() emitter;

    apply {
        if (hdr.ipv4.isValid()) {
            hdr.ipv4.hdr_checksum = ipv4_checksum.update(
                { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.dscp_ecn, hdr.ipv4.total_len,
                  hdr.ipv4.identification, hdr.ipv4.reserved_flag, hdr.ipv4.dont_fragment,
                  hdr.ipv4.more_fragments, hdr.ipv4.frag_offset, hdr.ipv4.ttl,
                  hdr.ipv4.protocol, hdr.ipv4.src_addr, hdr.ipv4.dst_addr });
        }
        if (meta.l4_rewritten && hdr.tcp.isValid()) {
            hdr.tcp.checksum = tcp_checksum.update(
                { hdr.ipv4.src_addr, hdr.ipv4.dst_addr, hdr.tcp.src_port, hdr.tcp.dst_port,
                  meta.l4_checksum_residual });
        }
        if (meta.l4_rewritten && hdr.udp.isValid() && hdr.udp.checksum != 0) {
            hdr.udp.checksum = udp_checksum.update(
                { hdr.ipv4.src_addr, hdr.ipv4.dst_addr, hdr.udp.src_port, hdr.udp.dst_port,
                  meta.l4_checksum_residual }, true);
        }
        emitter.apply(packet, hdr);
    }
}

control TalariaEgress(inout egress_headers_t hdr,
                      inout egress_metadata_t meta,
                      in egress_intrinsic_metadata_t eg_intr_md,
                      in egress_intrinsic_metadata_from_parser_t eg_prsr_md,
                      inout egress_intrinsic_metadata_for_deparser_t eg_dprsr_md,
                      inout egress_intrinsic_metadata_for_output_port_t eg_oport_md) {
    apply { }
}

control TalariaEgressDeparser(packet_out packet,
                              inout egress_headers_t hdr,
                              in egress_metadata_t meta,
                              in egress_intrinsic_metadata_for_deparser_t eg_dprsr_md) {
    apply { }
}

#endif  // TALARIA_TNA_DEPARSER_P4
