/*
 * BucketSelector: the backend slot of a packet without a cookie, from the Service's bucket
 * table (docs/p4-pipeline.md, "Bucket tables"). The controller fills each Service's table
 * with a resilient assignment (src/reconcile/bucket-assignment.ts), so a backend change
 * moves only the flows it must; a Service without a bucket table falls through to the
 * action selectors. Each architecture supplies BucketHash (p4/v1model/bucket_hash_v1model.p4,
 * p4/tna/bucket_hash_tna.p4) before including this file.
 */
#ifndef TALARIA_CONTROL_BUCKET_SELECT_P4
#define TALARIA_CONTROL_BUCKET_SELECT_P4

#include "../size.p4"
#include "../header.p4"

control BucketSelector(in headers_t hdr, inout local_metadata_t meta) {
    BucketHash() hasher;
    bit<16> flow_hash = 0;
    bit<16> client_hash = 0;
    bit<16> bucket = 0;
    slot_t flow_slot = 0;
    slot_t opening_slot = 0;

    // --- bucket_services: service_id -> which hash and the table size (mask = size - 1,
    // a power of two). A miss: the Service uses the action selectors.
    action use_flow_buckets(bit<16> mask) {
        bucket = flow_hash & mask;
    }

    // sessionAffinity ClientIP: the bucket depends on the client address only.
    action use_client_buckets(bit<16> mask) {
        bucket = client_hash & mask;
    }

    table bucket_services {
        key = {
            meta.service_id: exact @name("service_id");
        }
        actions = {
            use_flow_buckets;
            use_client_buckets;
            @defaultonly NoAction;
        }
        const default_action = NoAction();
        size = FRONTENDS_SIZE;
    }

    // --- bucket_select: (service, bucket) -> two slots. `slot` serves packets without a
    // header (clients outside the cluster): the switch cannot tell their new flows from old
    // ones, so a terminating backend keeps the bucket's flows. `new_slot` serves packets with
    // a first-packet header, which open an in-cluster connection: never a terminating
    // backend. A miss (a table being written) leaves slot_picked false: the Service's
    // selector entry, if any, decides.
    action pick_bucket_slot(slot_t slot, slot_t new_slot) {
        flow_slot = slot;
        opening_slot = new_slot;
    }

    table bucket_select {
        key = {
            meta.service_id: exact @name("service_id");
            bucket: exact @name("bucket");
        }
        actions = {
            pick_bucket_slot;
            @defaultonly NoAction;
        }
        const default_action = NoAction();
        size = BUCKETS_SIZE;
    }

    apply {
        hasher.apply(hdr, meta, flow_hash, client_hash);
        if (bucket_services.apply().hit) {
            if (bucket_select.apply().hit) {
                if (hdr.talaria.isValid()) {
                    meta.slot = opening_slot;
                } else {
                    meta.slot = flow_slot;
                }
                meta.slot_picked = true;
            }
        }
    }
}

#endif  // TALARIA_CONTROL_BUCKET_SELECT_P4
