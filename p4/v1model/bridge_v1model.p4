/*
 * Bridges v1model's standard_metadata to the architecture-neutral facts that
 * PacketValidator reads (p4/include/control/validate.p4).
 */
#ifndef TALARIA_V1MODEL_BRIDGE_P4
#define TALARIA_V1MODEL_BRIDGE_P4

#include "../include/header.p4"

control V1ModelBridge(in headers_t hdr,
                      inout local_metadata_t meta,
                      in standard_metadata_t standard_metadata) {
    apply {
        meta.parser_failed = standard_metadata.parser_error != error.NoError;
        meta.ipv4_checksum_failed = standard_metadata.checksum_error == 1;
        // packet_length is the frame as received; Ethernet padding may make it longer
        // than the headers and IPv4 total length say, never shorter.
        bit<32> l3_offset = ETHERNET_HEADER_BYTES;
        if (hdr.talaria.isValid()) {
            l3_offset = ETHERNET_HEADER_BYTES + TALARIA_HEADER_BYTES;
        }
        meta.frame_shorter_than_ipv4_total_len = hdr.ipv4.isValid()
            && standard_metadata.packet_length < l3_offset + (bit<32>)hdr.ipv4.total_len;
    }
}

#endif  // TALARIA_V1MODEL_BRIDGE_P4
