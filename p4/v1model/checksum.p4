/*
 * v1model checksum update, run by BMv2 at deparse time.
 *
 * The IPv4 header checksum is recomputed on every forwarded packet (TTL always
 * changes; it was verified on the way in). TCP and UDP checksums are recomputed over
 * the pseudo-header, the L4 header and the payload only when ingress rewrote an address
 * or port, so a packet the switch only routes keeps its checksum, right or wrong.
 * A UDP checksum of 0 means "none" (RFC 768) and stays 0.
 */
#ifndef TALARIA_V1MODEL_CHECKSUM_P4
#define TALARIA_V1MODEL_CHECKSUM_P4

#include "../include/header.p4"

control TalariaComputeChecksum(inout headers_t hdr, inout local_metadata_t meta) {
    apply {
        update_checksum(hdr.ipv4.isValid(),
            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.dscp_ecn, hdr.ipv4.total_len,
              hdr.ipv4.identification, hdr.ipv4.reserved_flag, hdr.ipv4.dont_fragment,
              hdr.ipv4.more_fragments, hdr.ipv4.frag_offset, hdr.ipv4.ttl,
              hdr.ipv4.protocol, hdr.ipv4.src_addr, hdr.ipv4.dst_addr },
            hdr.ipv4.hdr_checksum, HashAlgorithm.csum16);

        // The pseudo-header length is the IPv4 payload length (validated in ingress).
        update_checksum_with_payload(hdr.tcp.isValid() && meta.l4_rewritten,
            { hdr.ipv4.src_addr, hdr.ipv4.dst_addr, 8w0, hdr.ipv4.protocol, meta.l4_len,
              hdr.tcp.src_port, hdr.tcp.dst_port, hdr.tcp.seq_no, hdr.tcp.ack_no,
              hdr.tcp.data_offset, hdr.tcp.reserved, hdr.tcp.flags, hdr.tcp.window,
              hdr.tcp.urgent_ptr },
            hdr.tcp.checksum, HashAlgorithm.csum16);

        update_checksum_with_payload(
            hdr.udp.isValid() && meta.l4_rewritten && hdr.udp.checksum != 0,
            { hdr.ipv4.src_addr, hdr.ipv4.dst_addr, 8w0, hdr.ipv4.protocol, hdr.udp.len,
              hdr.udp.src_port, hdr.udp.dst_port, hdr.udp.len },
            hdr.udp.checksum, HashAlgorithm.csum16);
    }
}

#endif  // TALARIA_V1MODEL_CHECKSUM_P4
