/*
 * TalariaIngress for v1model (BMv2): validation, the load-balancing paths and L3
 * forwarding, as described in docs/p4-pipeline.md. The control-plane names (tables,
 * actions, key names, selectors, counters) are the reconciler's contract: see
 * docs/p4-pipeline.md and the committed P4Info (p4/build/talaria.p4info.txtpb).
 */
#ifndef TALARIA_V1MODEL_INGRESS_P4
#define TALARIA_V1MODEL_INGRESS_P4

#include "../include/size.p4"
#include "../include/header.p4"
#include "../include/control/validate.p4"
#include "../include/control/tag.p4"
#include "bridge_v1model.p4"
#include "bucket_hash_v1model.p4"
#include "../include/control/bucket_select.p4"

control TalariaIngress(inout headers_t hdr,
                       inout local_metadata_t meta,
                       inout standard_metadata_t standard_metadata) {
    V1ModelBridge() bridge;
    PacketValidator() validator;
    // The tag the switch stamps, and (only for a cookie of the previous key epoch) the one
    // it verifies: two instances, so a packet computes at most two tags.
    CookieTag() stamp_tag;
    CookieTag() previous_epoch_tag;
    BucketSelector() buckets;

    // Helper actions are @hidden: the controller never names them, so P4Info leaves them out.
    @hidden action mark_drop(drop_reason_t reason) {
        meta.drop = true;
        meta.drop_reason = reason;
    }

    // --- tag_key: the tag's secret keys, set by the controller (MODIFY of the default):
    // the epoch the switch stamps with, its key, and the key of the epoch before, which
    // still verifies (docs/wire-format.md, "Key epochs").
    action set_tag_keys(key_epoch_t epoch, tag_key_t current_key, tag_key_t previous_key) {
        meta.key_epoch = epoch;
        meta.current_key = current_key;
        meta.previous_key = previous_key;
    }

    table tag_key {
        actions = { @defaultonly set_tag_keys; }
        default_action = set_tag_keys(0, 0, 0);
        size = 1;
    }

    // --- agent_ports: the ports whose hosts run the agent. A Talaria header from any
    // other port is dropped (NOT_AGENT_PORT): no device there may speak for a Service.
    action accept_talaria() {
        meta.from_agent_port = true;
    }

    table agent_ports {
        key = {
            standard_metadata.ingress_port: exact @name("port");
        }
        actions = {
            accept_talaria;
            @defaultonly NoAction;
        }
        const default_action = NoAction();
        size = AGENT_PORTS_SIZE;
    }

    // --- frontends: (VIP, protocol, port) -> Service. A miss is ordinary routed traffic.
    direct_counter(CounterType.packets_and_bytes) frontend_counter;

    action set_service(service_id_t service_id) {
        meta.is_frontend = true;
        meta.service_id = service_id;
    }

    table frontends {
        key = {
            hdr.ipv4.dst_addr: exact @name("vip_addr");
            hdr.ipv4.protocol: exact @name("protocol");
            meta.l4_dst_port: exact @name("vip_port");
        }
        actions = {
            set_service;
            @defaultonly NoAction;
        }
        const default_action = NoAction();
        counters = frontend_counter;
        size = FRONTENDS_SIZE;
    }

    // --- backend_select / affinity_select: a new connection's backend slot. BMv2 picks
    // member (crc16 of the selector fields) mod (group size), members in handle order.
    // BMv2 cannot give a table with an action selector a default action; a miss leaves
    // slot_picked false and the packet is dropped as NO_BACKEND.
    @max_group_size(SELECTOR_MAX_GROUP_SIZE)
    action_selector(HashAlgorithm.crc16, SELECTOR_MEMBERS_SIZE, SELECTOR_HASH_WIDTH)
        backend_selector;

    // sessionAffinity ClientIP: the hash covers the client address only.
    @max_group_size(SELECTOR_MAX_GROUP_SIZE)
    action_selector(HashAlgorithm.crc16, SELECTOR_MEMBERS_SIZE, SELECTOR_HASH_WIDTH)
        affinity_selector;

    action pick_slot(slot_t slot) {
        meta.slot = slot;
        meta.slot_picked = true;
    }

    table backend_select {
        key = {
            meta.service_id: exact @name("service_id");
            hdr.ipv4.src_addr: selector @name("client_addr");
            hdr.ipv4.dst_addr: selector @name("vip_addr");
            hdr.ipv4.protocol: selector @name("protocol");
            meta.l4_src_port: selector @name("client_port");
            meta.l4_dst_port: selector @name("vip_port");
        }
        actions = { pick_slot; }
        implementation = backend_selector;
        size = FRONTENDS_SIZE;
    }

    table affinity_select {
        key = {
            meta.service_id: exact @name("service_id");
            hdr.ipv4.src_addr: selector @name("client_addr");
        }
        actions = { pick_slot; }
        implementation = affinity_selector;
        size = FRONTENDS_SIZE;
    }

    // --- backends: (service, slot) -> backend address and port: a request's new
    // destination, and the only source a reply naming that slot may have.
    direct_counter(CounterType.packets_and_bytes) backend_counter;

    action set_backend(ipv4_addr_t addr, l4_port_t port) {
        meta.backend_addr = addr;
        meta.backend_port = port;
    }

    action drop_unknown_slot() {
        mark_drop(DROP_REASON_UNKNOWN_SLOT);
    }

    table backends {
        key = {
            meta.service_id: exact @name("service_id");
            meta.slot: exact @name("slot");
        }
        actions = {
            set_backend;
            @defaultonly drop_unknown_slot;
        }
        const default_action = drop_unknown_slot();
        counters = backend_counter;
        size = BACKENDS_SIZE;
    }

    // --- reply_frontends: service_id -> the frontend a reply's source is rewritten to.
    action set_reply_source(ipv4_addr_t vip_addr, l4_port_t vip_port, bit<8> protocol) {
        meta.reply_vip_addr = vip_addr;
        meta.reply_vip_port = vip_port;
        meta.reply_protocol = protocol;
    }

    action drop_unknown_service() {
        mark_drop(DROP_REASON_UNKNOWN_SERVICE);
    }

    table reply_frontends {
        key = {
            hdr.talaria.service_id: exact @name("service_id");
        }
        actions = {
            set_reply_source;
            @defaultonly drop_unknown_service;
        }
        const default_action = drop_unknown_service();
        size = FRONTENDS_SIZE;
    }

    // --- l3_forward: destination prefix -> port and MACs. Hosts behind the port run
    // the agent and keep the Talaria header; anything else never sees it.
    action forward_to_host(PortId_t port, mac_addr_t smac, mac_addr_t dmac) {
        standard_metadata.egress_spec = port;
        hdr.ethernet.src_addr = smac;
        hdr.ethernet.dst_addr = dmac;
        hdr.ipv4.ttl = hdr.ipv4.ttl - 1;
    }

    action forward_to_external(PortId_t port, mac_addr_t smac, mac_addr_t dmac) {
        standard_metadata.egress_spec = port;
        hdr.ethernet.src_addr = smac;
        hdr.ethernet.dst_addr = dmac;
        hdr.ipv4.ttl = hdr.ipv4.ttl - 1;
        hdr.talaria.setInvalid();
        hdr.ethernet.ether_type = ETHERTYPE_IPV4;
    }

    action drop_no_route() {
        mark_drop(DROP_REASON_NO_ROUTE);
    }

    table l3_forward {
        key = {
            hdr.ipv4.dst_addr: lpm @name("dst_addr");
        }
        actions = {
            forward_to_host;
            forward_to_external;
            @defaultonly drop_no_route;
        }
        const default_action = drop_no_route();
        size = L3_FORWARD_SIZE;
    }

    // --- drop_counter: packets and bytes dropped, indexed by drop reason.
    counter<drop_reason_t>(DROP_COUNTER_SIZE, CounterType.packets_and_bytes) drop_counter;

    @hidden action track_request() {
        meta.connection.client_addr = hdr.ipv4.src_addr;
        meta.connection.vip_addr = hdr.ipv4.dst_addr;
        meta.connection.client_port = meta.l4_src_port;
        meta.connection.vip_port = meta.l4_dst_port;
        meta.connection.protocol = hdr.ipv4.protocol;
    }

    @hidden action track_reply() {
        meta.connection.client_addr = hdr.ipv4.dst_addr;
        meta.connection.vip_addr = meta.reply_vip_addr;
        meta.connection.client_port = meta.l4_dst_port;
        meta.connection.vip_port = meta.reply_vip_port;
        meta.connection.protocol = meta.reply_protocol;
        meta.service_id = hdr.talaria.service_id;
        meta.slot = hdr.talaria.slot;
    }

    @hidden action rewrite_reply_source() {
        hdr.ipv4.src_addr = meta.reply_vip_addr;
        meta.l4_src_port = meta.reply_vip_port;
        meta.l4_rewritten = true;
        // A cookie of the previous epoch leaves with the current one (a no-op otherwise).
        hdr.talaria.key_epoch = meta.key_epoch;
        hdr.talaria.tag = meta.computed_tag;
    }

    @hidden action rewrite_destination() {
        hdr.ipv4.dst_addr = meta.backend_addr;
        meta.l4_dst_port = meta.backend_port;
        meta.l4_rewritten = true;
    }

    // The header a backend host receives: the connection's cookie (docs/wire-format.md,
    // "Who writes what"). Added when the packet came without one.
    @hidden action write_cookie() {
        hdr.talaria.setValid();
        hdr.talaria.version = TALARIA_VERSION;
        hdr.talaria.flags = TALARIA_FLAG_COOKIE;
        hdr.talaria.reserved = 0;
        hdr.talaria.next_type = ETHERTYPE_IPV4;
        hdr.talaria.service_id = meta.service_id;
        hdr.talaria.slot = meta.slot;
        hdr.talaria.key_epoch = meta.key_epoch;
        hdr.talaria.tag = meta.computed_tag;
        hdr.ethernet.ether_type = ETHERTYPE_TALARIA;
    }

    apply {
        bridge.apply(hdr, meta, standard_metadata);
        validator.apply(hdr, meta);

        bool has_cookie = hdr.talaria.isValid()
            && (hdr.talaria.flags & TALARIA_FLAG_COOKIE) == TALARIA_FLAG_COOKIE;
        bool is_reply = hdr.talaria.isValid()
            && (hdr.talaria.flags & TALARIA_FLAG_REPLY) == TALARIA_FLAG_REPLY;

        // Who may send a header at all (docs/p4-pipeline.md, "Header admission").
        if (!meta.drop && hdr.talaria.isValid()) {
            agent_ports.apply();
            if (!meta.from_agent_port) {
                mark_drop(DROP_REASON_NOT_AGENT_PORT);
            } else if (has_cookie && hdr.tcp.isValid()
                       && (hdr.tcp.flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN) {
                // A connection's first packet never has a cookie to carry.
                mark_drop(DROP_REASON_SYN_WITH_COOKIE);
            }
        }

        // Set when the packet is a Service's: its tag is computed and its backend looked up.
        bool balanced = false;
        if (!meta.drop) {
            tag_key.apply();
            meta.l4_len = hdr.ipv4.total_len - IPV4_MIN_HEADER_BYTES;

            if (is_reply) {
                // Backend -> client: stateless source rewrite from the cookie's service.
                reply_frontends.apply();
                if (!meta.drop) {
                    if (!meta.l4_valid || hdr.ipv4.protocol != meta.reply_protocol) {
                        mark_drop(DROP_REASON_SERVICE_MISMATCH);
                    } else if (!has_cookie) {
                        mark_drop(DROP_REASON_BAD_TAG);
                    } else {
                        track_reply();
                        balanced = true;
                    }
                }
            } else {
                if (meta.l4_valid) {
                    frontends.apply();
                }
                if (meta.is_frontend) {
                    track_request();
                    if (has_cookie) {
                        // Later packet: the cookie must name this VIP's Service.
                        if (hdr.talaria.service_id != meta.service_id) {
                            mark_drop(DROP_REASON_SERVICE_MISMATCH);
                        } else {
                            meta.slot = hdr.talaria.slot;
                        }
                    } else {
                        // New connection (or no agent on the client's host).
                        // Bucket table first; Services without one use the selectors.
                        buckets.apply(hdr, meta);
                        if (!meta.slot_picked) {
                            affinity_select.apply();
                        }
                        if (!meta.slot_picked) {
                            backend_select.apply();
                        }
                        if (!meta.slot_picked) {
                            mark_drop(DROP_REASON_NO_BACKEND);
                        }
                    }
                    balanced = !meta.drop;
                } else if (has_cookie) {
                    // A cookie for a destination that is no frontend (any more).
                    mark_drop(DROP_REASON_SERVICE_MISMATCH);
                }
            }
        }

        if (balanced) {
            // The tag: a cookie verifies under the key of its epoch, the current or the
            // previous one; the switch always stamps with the current key.
            stamp_tag.apply(meta.current_key, meta.connection, meta.service_id, meta.slot,
                            meta.computed_tag);
            if (has_cookie) {
                if (hdr.talaria.key_epoch == meta.key_epoch) {
                    meta.verify_tag = meta.computed_tag;
                } else if (hdr.talaria.key_epoch == meta.key_epoch - 1) {
                    previous_epoch_tag.apply(meta.previous_key, meta.connection,
                                             meta.service_id, meta.slot, meta.verify_tag);
                } else {
                    mark_drop(DROP_REASON_STALE_KEY_EPOCH);
                }
                if (!meta.drop && meta.verify_tag != hdr.talaria.tag) {
                    mark_drop(DROP_REASON_BAD_TAG);
                }
            }
            if (!meta.drop) {
                backends.apply();
            }
            if (!meta.drop) {
                if (is_reply) {
                    // Only the backend the cookie's slot names may answer for the Service.
                    if (hdr.ipv4.src_addr != meta.backend_addr
                        || meta.l4_src_port != meta.backend_port) {
                        mark_drop(DROP_REASON_REPLY_NOT_FROM_BACKEND);
                    } else {
                        rewrite_reply_source();
                    }
                } else {
                    rewrite_destination();
                    write_cookie();
                }
            }
        }

        if (!meta.drop) {
            l3_forward.apply();
        }

        if (meta.drop) {
            drop_counter.count(meta.drop_reason);
            mark_to_drop(standard_metadata);
        } else if (hdr.tcp.isValid()) {
            hdr.tcp.src_port = meta.l4_src_port;
            hdr.tcp.dst_port = meta.l4_dst_port;
        } else if (hdr.udp.isValid()) {
            hdr.udp.src_port = meta.l4_src_port;
            hdr.udp.dst_port = meta.l4_dst_port;
        }
    }
}

#endif  // TALARIA_V1MODEL_INGRESS_P4
