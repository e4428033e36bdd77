/*
 * v1model egress (nothing to do: every decision is made in ingress) and deparser.
 */
#ifndef TALARIA_V1MODEL_DEPARSER_P4
#define TALARIA_V1MODEL_DEPARSER_P4

#include "../include/deparser.p4"

control TalariaEgress(inout headers_t hdr,
                      inout local_metadata_t meta,
                      inout standard_metadata_t standard_metadata) {
    apply { }
}

control TalariaDeparser(packet_out packet, in headers_t hdr) {
    TalariaHeaderEmitter() emitter;

    apply {
        emitter.apply(packet, hdr);
    }
}

#endif  // TALARIA_V1MODEL_DEPARSER_P4
