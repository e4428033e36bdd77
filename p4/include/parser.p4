/*
 * The header parser shared by both architectures, applied as a sub-parser by each
 * architecture's own parser (p4/v1model/parser.p4, p4/tna/parser.p4).
 *
 * It only extracts; deciding what is malformed is left to PacketValidator in ingress,
 * so that every drop is counted by reason in one place. A frame that ends inside a
 * header raises the architecture's "packet too short" parser error.
 */
#ifndef TALARIA_PARSER_P4
#define TALARIA_PARSER_P4

#include "header.p4"

parser TalariaHeaderParser(packet_in packet, out headers_t hdr, inout local_metadata_t meta) {
    state start {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            ETHERTYPE_TALARIA: parse_talaria;
            ETHERTYPE_IPV4: parse_ipv4;
            default: accept;
        }
    }

    // A header of another version or next_type is kept for ingress to drop by reason;
    // what follows it is not ours to interpret.
    state parse_talaria {
        packet.extract(hdr.talaria);
        transition select(hdr.talaria.version, hdr.talaria.next_type) {
            (TALARIA_VERSION, ETHERTYPE_IPV4): parse_ipv4;
            default: accept;
        }
    }

    // L4 is parsed only behind a plain 20-byte IPv4 header of an unfragmented packet:
    // packets with options are dropped (IPV4_OPTIONS) and fragments are routed by
    // destination only, since only a first fragment has ports and none has the whole
    // payload the L4 checksum covers.
    state parse_ipv4 {
        packet.extract(hdr.ipv4);
        transition select(hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.more_fragments,
                          hdr.ipv4.frag_offset, hdr.ipv4.protocol) {
            (IPV4_VERSION, IPV4_MIN_IHL, 0, 0, IP_PROTO_TCP): parse_tcp;
            (IPV4_VERSION, IPV4_MIN_IHL, 0, 0, IP_PROTO_UDP): parse_udp;
            default: accept;
        }
    }

    state parse_tcp {
        packet.extract(hdr.tcp);
        meta.l4_valid = true;
        meta.l4_src_port = hdr.tcp.src_port;
        meta.l4_dst_port = hdr.tcp.dst_port;
        transition accept;
    }

    state parse_udp {
        packet.extract(hdr.udp);
        meta.l4_valid = true;
        meta.l4_src_port = hdr.udp.src_port;
        meta.l4_dst_port = hdr.udp.dst_port;
        transition accept;
    }
}

#endif  // TALARIA_PARSER_P4
