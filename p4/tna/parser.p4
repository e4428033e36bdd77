/*
 * TNA (Tofino) ingress and egress parsers.
 *
 * The ingress parser walks the same states with the same select keys as the shared
 * TalariaHeaderParser (p4/include/parser.p4) but cannot apply it as a sub-parser:
 * Tofino's checksum units only see a header in the state that extracts it, so the
 * IPv4 verification and the L4 residual live in these states.
 */
#ifndef TALARIA_TNA_PARSER_P4
#define TALARIA_TNA_PARSER_P4

#include "../include/header.p4"

parser TalariaIngressParser(packet_in packet,
                            out headers_t hdr,
                            out local_metadata_t meta,
                            out ingress_intrinsic_metadata_t ig_intr_md) {
    Checksum() ipv4_checksum;
    Checksum() l4_checksum;

    state start {
        // Tofino metadata starts undefined: give ingress a clean slate, as BMv2 does.
        meta.parser_failed = false;
        meta.ipv4_checksum_failed = false;
        meta.frame_shorter_than_ipv4_total_len = false;
        meta.l4_valid = false;
        meta.l4_src_port = 0;
        meta.l4_dst_port = 0;
        meta.l4_rewritten = false;
        meta.l4_len = 0;
        meta.l4_checksum_residual = 0;
        meta.drop = false;
        meta.drop_reason = 0;
        meta.key_epoch = 0;
        meta.current_key = 0;
        meta.previous_key = 0;
        meta.from_agent_port = false;
        meta.connection.client_addr = 0;
        meta.connection.vip_addr = 0;
        meta.connection.client_port = 0;
        meta.connection.vip_port = 0;
        meta.connection.protocol = 0;
        meta.service_id = 0;
        meta.slot = 0;
        meta.slot_picked = false;
        meta.is_frontend = false;
        meta.computed_tag = 0;
        meta.verify_tag = 0;
        meta.backend_addr = 0;
        meta.backend_port = 0;
        meta.reply_vip_addr = 0;
        meta.reply_vip_port = 0;
        meta.reply_protocol = 0;
        packet.extract(ig_intr_md);
        packet.advance(PORT_METADATA_SIZE);
        transition parse_ethernet;
    }

    state parse_ethernet {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            ETHERTYPE_TALARIA: parse_talaria;
            ETHERTYPE_IPV4: parse_ipv4;
            default: accept;
        }
    }

    state parse_talaria {
        packet.extract(hdr.talaria);
        transition select(hdr.talaria.version, hdr.talaria.next_type) {
            (TALARIA_VERSION, ETHERTYPE_IPV4): parse_ipv4;
            default: accept;
        }
    }

    state parse_ipv4 {
        packet.extract(hdr.ipv4);
        ipv4_checksum.add(hdr.ipv4);
        meta.ipv4_checksum_failed = !ipv4_checksum.verify();
        // The pseudo-header addresses leave the L4 checksum here and come back, maybe
        // rewritten, in the deparser.
        l4_checksum.subtract({ hdr.ipv4.src_addr, hdr.ipv4.dst_addr });
        transition select(hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.more_fragments,
                          hdr.ipv4.frag_offset, hdr.ipv4.protocol) {
            (IPV4_VERSION, IPV4_MIN_IHL, 0, 0, IP_PROTO_TCP): parse_tcp;
            (IPV4_VERSION, IPV4_MIN_IHL, 0, 0, IP_PROTO_UDP): parse_udp;
            default: accept;
        }
    }

    state parse_tcp {
        packet.extract(hdr.tcp);
        l4_checksum.subtract({ hdr.tcp.checksum, hdr.tcp.src_port, hdr.tcp.dst_port });
        l4_checksum.subtract_all_and_deposit(meta.l4_checksum_residual);
        meta.l4_valid = true;
        meta.l4_src_port = hdr.tcp.src_port;
        meta.l4_dst_port = hdr.tcp.dst_port;
        transition accept;
    }

    state parse_udp {
        packet.extract(hdr.udp);
        l4_checksum.subtract({ hdr.udp.checksum, hdr.udp.src_port, hdr.udp.dst_port });
        l4_checksum.subtract_all_and_deposit(meta.l4_checksum_residual);
        meta.l4_valid = true;
        meta.l4_src_port = hdr.udp.src_port;
        meta.l4_dst_port = hdr.udp.dst_port;
        transition accept;
    }
}

// Egress does nothing: it parses no header and the packet passes through unchanged.
struct egress_headers_t { }
struct egress_metadata_t { }

parser TalariaEgressParser(packet_in packet,
                           out egress_headers_t hdr,
                           out egress_metadata_t meta,
                           out egress_intrinsic_metadata_t eg_intr_md) {
    state start {
        packet.extract(eg_intr_md);
        transition accept;
    }
}

#endif  // TALARIA_TNA_PARSER_P4
