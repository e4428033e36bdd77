#!/bin/sh
# npm run p4:build: compiles p4/talaria.p4 (v1model) for BMv2 with the p4c on PATH into
# p4/build/ (talaria.json, talaria.p4info.txtpb) and writes p4/build/talaria.build.json:
# the digest of the P4 sources, the p4c version and the warnings it printed.
# test/unit/p4-build-fresh.test.ts fails when the sources changed and this was not rerun.
set -eu
cd "$(dirname "$0")/.."

if ! command -v p4c >/dev/null 2>&1; then
  echo "p4:build: p4c is not on PATH (docs/p4-pipeline.md, 'Building')" >&2
  exit 1
fi

mkdir -p p4/build
log=$(mktemp)
trap 'rm -f "$log"' EXIT

set -- p4c --target bmv2 --arch v1model \
  --p4runtime-files p4/build/talaria.p4info.txtpb -o p4/build p4/talaria.p4
echo "$*"
if ! "$@" >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
cat "$log"
# The preprocessed program holds p4c's own include files: not ours to commit.
rm -f p4/build/talaria.p4i

node --import tsx scripts/p4-build-record.ts "$(p4c --version | head -n 1)" "$*" "$log"
