/*
 * BucketHash for TNA: Tofino's CRC16 over the client-side 5-tuple and over the client
 * address alone (the v1model twin is p4/v1model/bucket_hash_v1model.p4). Whether Tofino's
 * CRC16 equals BMv2's crc16 bit for bit was not checked (no Tofino compiler here); the
 * controller never computes the hash, so only the flow-to-bucket mapping would differ.
 */
#ifndef TALARIA_TNA_BUCKET_HASH_P4
#define TALARIA_TNA_BUCKET_HASH_P4

#include "../include/header.p4"

control BucketHash(in headers_t hdr, in local_metadata_t meta,
                   out bit<16> flow_hash, out bit<16> client_hash) {
    Hash<bit<16>>(HashAlgorithm_t.CRC16) flow_hasher;
    Hash<bit<16>>(HashAlgorithm_t.CRC16) client_hasher;

    apply {
        flow_hash = flow_hasher.get({ hdr.ipv4.src_addr, hdr.ipv4.dst_addr, hdr.ipv4.protocol,
                                      meta.l4_src_port, meta.l4_dst_port });
        client_hash = client_hasher.get({ hdr.ipv4.src_addr });
    }
}

#endif  // TALARIA_TNA_BUCKET_HASH_P4
