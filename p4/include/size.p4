/*
 * Table and extern sizes shared by the v1model and TNA programs. Each can be overridden
 * with -D at build time (a profile), like the rest of the defaults.
 */
#ifndef TALARIA_SIZE_P4
#define TALARIA_SIZE_P4

#ifndef L3_FORWARD_SIZE
#define L3_FORWARD_SIZE 1024
#endif

// Service frontends: (VIP, protocol, port) triples. Sized for 10,000 Services with room
// for their NodePorts; backends for 100,000 endpoints with room for draining slots.
#ifndef FRONTENDS_SIZE
#define FRONTENDS_SIZE 16384
#endif

// Backends over all Services: (service_id, slot) pairs.
#ifndef BACKENDS_SIZE
#define BACKENDS_SIZE 131072
#endif

// Members of each action selector (one member per backend slot) and the largest group.
#ifndef SELECTOR_MEMBERS_SIZE
#define SELECTOR_MEMBERS_SIZE 65536
#endif
#ifndef SELECTOR_MAX_GROUP_SIZE
#define SELECTOR_MAX_GROUP_SIZE 256
#endif

// Switch ports whose hosts run the agent (one entry each): every port of a Tofino.
#ifndef AGENT_PORTS_SIZE
#define AGENT_PORTS_SIZE 512
#endif

// Bucket table entries over all Services ((service_id, bucket) -> two slots; the global
// budget the controller shares out in power-of-two tables, read from the P4Info). On
// Tofino 1, by estimate: a 48-bit exact key plus two 16-bit slots (about 84 bits with
// the entry's overhead) takes one 128-bit SRAM word, 1,024 entries per block, so 262,144
// entries take 256 blocks (about 290 with cuckoo headroom) of the 960 in 12 stages:
// about 30 % of the SRAM. -DBUCKETS_SIZE=131072 halves that.
#ifndef BUCKETS_SIZE
#define BUCKETS_SIZE 262144
#endif

// Width of the selector hash; BMv2 uses its crc16 output as is.
#define SELECTOR_HASH_WIDTH 16

// drop_counter indices 0..16 are used (define.p4); keep room for new reasons.
#define DROP_COUNTER_SIZE 32

#endif  // TALARIA_SIZE_P4
