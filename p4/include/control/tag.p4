/*
 * CookieTag: the cookie's integrity tag, HalfSipHash-2-4 (32-bit words, 64-bit key, 32-bit
 * output) of the client-side connection, the Service and the slot (docs/wire-format.md,
 * "The tag"). Plain 32-bit additions, rotations and XORs, so every architecture computes it
 * without a custom extern; src/wire/tag.ts is the same function, checked against the
 * reference implementation's vectors.
 *
 * The 19 message bytes are laid out so that each little-endian message word is a field or
 * two fields side by side: client_addr, vip_addr, client_port ++ vip_port, service_id, and
 * the final word (19 << 24) | protocol << 16 | slot. Five compressions of 2 SipRounds and
 * 4 finalization rounds: 14 SipRounds per tag.
 */
#ifndef TALARIA_CONTROL_TAG_P4
#define TALARIA_CONTROL_TAG_P4

#include "../header.p4"

// HalfSipHash's initialization constants ("hsip" in the reference: "lyge", "tedb").
const bit<32> HALFSIPHASH_V2 = 0x6c796765;
const bit<32> HALFSIPHASH_V3 = 0x74656462;
const bit<8>  TAG_MESSAGE_BYTES = 19;

control CookieTag(in tag_key_t key,
                  in connection_t connection,
                  in service_id_t service_id,
                  in slot_t slot,
                  out tag_t tag) {
    bit<32> v0;
    bit<32> v1;
    bit<32> v2;
    bit<32> v3;

    @hidden action sip_round() {
        v0 = v0 + v1;
        v2 = v2 + v3;
        v1 = ((v1 << 5) | (v1 >> 27)) ^ v0;
        v3 = ((v3 << 8) | (v3 >> 24)) ^ v2;
        v0 = (v0 << 16) | (v0 >> 16);
        v2 = v2 + v1;
        v0 = v0 + v3;
        v1 = ((v1 << 13) | (v1 >> 19)) ^ v2;
        v3 = ((v3 << 7) | (v3 >> 25)) ^ v0;
        v2 = (v2 << 16) | (v2 >> 16);
    }

    // One message word: 2 SipRounds ("-2-" of HalfSipHash-2-4).
    @hidden action compress(bit<32> m) {
        v3 = v3 ^ m;
        sip_round();
        sip_round();
        v0 = v0 ^ m;
    }

    // The key goes into the state in an action of its own: were it in the same action as
    // the rounds, p4c's copy propagation would rewrite every round as one expression of the
    // key and the message, exponentially large (the compiler never finishes).
    @hidden action init_state() {
        v0 = key[31:0];
        v1 = key[63:32];
        v2 = key[31:0] ^ HALFSIPHASH_V2;
        v3 = key[63:32] ^ HALFSIPHASH_V3;
    }

    @hidden action rounds() {
        compress(connection.client_addr);
        compress(connection.vip_addr);
        compress(connection.client_port ++ connection.vip_port);
        compress(service_id);
        compress(TAG_MESSAGE_BYTES ++ connection.protocol ++ slot);
        // Finalization: 4 SipRounds ("-4").
        v2 = v2 ^ 0xff;
        sip_round();
        sip_round();
        sip_round();
        sip_round();
        tag = v1 ^ v3;
    }

    apply {
        init_state();
        rounds();
    }
}

#endif  // TALARIA_CONTROL_TAG_P4
