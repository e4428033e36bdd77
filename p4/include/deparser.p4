/*
 * Header emission shared by both architectures' deparsers. Invalid headers are skipped,
 * so a stripped Talaria header simply disappears.
 */
#ifndef TALARIA_DEPARSER_P4
#define TALARIA_DEPARSER_P4

#include "header.p4"

control TalariaHeaderEmitter(packet_out packet, in headers_t hdr) {
    apply {
        packet.emit(hdr.ethernet);
        packet.emit(hdr.talaria);
        packet.emit(hdr.ipv4);
        packet.emit(hdr.tcp);
        packet.emit(hdr.udp);
    }
}

#endif  // TALARIA_DEPARSER_P4
