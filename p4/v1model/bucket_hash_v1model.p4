/*
 * BucketHash for v1model: BMv2's crc16 over the client-side 5-tuple (the fields and order
 * of backend_select's selector) and over the client address alone. Only the low 16 bits are
 * used; the bucket is hash & mask (p4/include/control/bucket_select.p4).
 */
#ifndef TALARIA_V1MODEL_BUCKET_HASH_P4
#define TALARIA_V1MODEL_BUCKET_HASH_P4

#include "../include/header.p4"

control BucketHash(in headers_t hdr, in local_metadata_t meta,
                   out bit<16> flow_hash, out bit<16> client_hash) {
    apply {
        hash(flow_hash, HashAlgorithm.crc16, 16w0,
             { hdr.ipv4.src_addr, hdr.ipv4.dst_addr, hdr.ipv4.protocol,
               meta.l4_src_port, meta.l4_dst_port },
             32w65536);
        hash(client_hash, HashAlgorithm.crc16, 16w0, { hdr.ipv4.src_addr }, 32w65536);
    }
}

#endif  // TALARIA_V1MODEL_BUCKET_HASH_P4
