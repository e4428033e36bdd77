/*
 * Talaria for Tofino (TNA): the same pipeline as p4/talaria.p4 (v1model), sharing
 * p4/include/. It needs Intel's Tofino compiler (bf-p4c); docs/p4-pipeline.md says what
 * was checked where that compiler is absent.
 */
#include <core.p4>
#include <tna.p4>

#include "../include/define.p4"
#include "../include/size.p4"
#include "../include/header.p4"
#include "parser.p4"
#include "ingress.p4"
#include "deparser.p4"

Pipeline(TalariaIngressParser(),
         TalariaIngress(),
         TalariaIngressDeparser(),
         TalariaEgressParser(),
         TalariaEgress(),
         TalariaEgressDeparser()) pipe;

Switch(pipe) main;
