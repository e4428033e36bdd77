/*
 * Talaria for BMv2 (v1model): Service load balancing with the connection's backend
 * carried in the packets (docs/wire-format.md, docs/p4-pipeline.md).
 * Build: npm run p4:build (scripts/p4-build.sh).
 * The Tofino (TNA) program is p4/tna/talaria.p4; both share p4/include/.
 */
#include <core.p4>
// The v1model revision with PortId_t and typed counter indices.
#define V1MODEL_VERSION 20200408
#include <v1model.p4>

#include "include/define.p4"
#include "include/size.p4"
#include "include/header.p4"
#include "v1model/parser.p4"
#include "v1model/ingress.p4"
#include "v1model/checksum.p4"
#include "v1model/deparser.p4"

V1Switch(TalariaParser(),
         TalariaVerifyChecksum(),
         TalariaIngress(),
         TalariaEgress(),
         TalariaComputeChecksum(),
         TalariaDeparser()) main;
