import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUILD_DIR,
  BUILD_RECORD,
  outputDigests,
  p4SourceFiles,
  p4SourcesDigest,
  readBuildRecord,
} from '../../scripts/p4-build-record.ts';
import { parseP4InfoText } from '../../src/p4rt/text-format.ts';

const rebuild = 'run `npm run p4:build` (docs/p4-pipeline.md, "Building") and commit p4/build';

describe('p4/build (compiled P4 program)', () => {
  it('has a build record', () => {
    expect(existsSync(BUILD_RECORD), `${BUILD_RECORD} is missing: ${rebuild}`).toBe(true);
  });

  it('was built from the current P4 sources', () => {
    const record = readBuildRecord();
    expect(record.sources.files, `P4 files were added or removed: ${rebuild}`).toEqual(
      p4SourceFiles(),
    );
    expect(record.sources.digest, `P4 sources changed since the build: ${rebuild}`).toBe(
      p4SourcesDigest(),
    );
  });

  it('holds the outputs that build produced', () => {
    expect(outputDigests(), `p4/build outputs differ from the build record: ${rebuild}`).toEqual(
      readBuildRecord().outputs,
    );
  });

  it('has the P4Info names the controller uses (docs/p4-pipeline.md)', () => {
    const p4info = parseP4InfoText(readFileSync(join(BUILD_DIR, 'talaria.p4info.txtpb'), 'utf8'));
    const tables = new Map((p4info.tables ?? []).map((t) => [t.preamble!.name, t]));
    const actionNames = new Map(
      (p4info.actions ?? []).map((a) => [a.preamble!.id, a.preamble!.name]),
    );
    const keysOf = (name: string) =>
      (tables.get(`TalariaIngress.${name}`)?.matchFields ?? []).map((f) => [
        f.name,
        f.bitwidth,
        f.matchType,
      ]);
    const actionsOf = (name: string) =>
      (tables.get(`TalariaIngress.${name}`)?.actionRefs ?? [])
        .map((r) => actionNames.get(r.id))
        .sort();

    expect(keysOf('l3_forward')).toEqual([['dst_addr', 32, 'LPM']]);
    expect(actionsOf('l3_forward')).toEqual([
      'TalariaIngress.drop_no_route',
      'TalariaIngress.forward_to_external',
      'TalariaIngress.forward_to_host',
    ]);
    expect(keysOf('frontends')).toEqual([
      ['vip_addr', 32, 'EXACT'],
      ['protocol', 8, 'EXACT'],
      ['vip_port', 16, 'EXACT'],
    ]);
    expect(actionsOf('frontends')).toEqual(['NoAction', 'TalariaIngress.set_service']);
    for (const select of ['backend_select', 'affinity_select']) {
      expect(keysOf(select)).toEqual([['service_id', 32, 'EXACT']]);
      // NoAction: p4c's implicit default, which BMv2 ignores for selector tables.
      expect(actionsOf(select)).toEqual(['NoAction', 'TalariaIngress.pick_slot']);
    }
    expect(keysOf('backends')).toEqual([
      ['service_id', 32, 'EXACT'],
      ['slot', 16, 'EXACT'],
    ]);
    expect(actionsOf('backends')).toEqual([
      'TalariaIngress.drop_unknown_slot',
      'TalariaIngress.set_backend',
    ]);
    expect(keysOf('reply_frontends')).toEqual([['service_id', 32, 'EXACT']]);
    expect(actionsOf('reply_frontends')).toEqual([
      'TalariaIngress.drop_unknown_service',
      'TalariaIngress.set_reply_source',
    ]);
    expect(keysOf('tag_key')).toEqual([]);
    expect(actionsOf('tag_key')).toEqual(['TalariaIngress.set_tag_keys']);
    expect(keysOf('agent_ports')).toEqual([['port', 9, 'EXACT']]);
    expect(actionsOf('agent_ports')).toEqual(['NoAction', 'TalariaIngress.accept_talaria']);

    const paramsOf = (name: string) =>
      (p4info.actions ?? [])
        .find((a) => a.preamble!.name === `TalariaIngress.${name}`)
        ?.params?.map((p) => [p.name, p.bitwidth]);
    expect(paramsOf('forward_to_host')).toEqual([
      ['port', 9],
      ['smac', 48],
      ['dmac', 48],
    ]);
    expect(paramsOf('forward_to_external')).toEqual([
      ['port', 9],
      ['smac', 48],
      ['dmac', 48],
    ]);
    expect(paramsOf('set_service')).toEqual([['service_id', 32]]);
    expect(paramsOf('pick_slot')).toEqual([['slot', 16]]);
    expect(paramsOf('set_backend')).toEqual([
      ['addr', 32],
      ['port', 16],
    ]);
    expect(paramsOf('set_reply_source')).toEqual([
      ['vip_addr', 32],
      ['vip_port', 16],
      ['protocol', 8],
    ]);
    expect(paramsOf('set_tag_keys')).toEqual([
      ['epoch', 16],
      ['current_key', 64],
      ['previous_key', 64],
    ]);
    expect(paramsOf('accept_talaria') ?? []).toEqual([]);

    const profiles = new Map((p4info.actionProfiles ?? []).map((p) => [p.preamble!.name, p]));
    for (const [selector, table] of [
      ['backend_selector', 'backend_select'],
      ['affinity_selector', 'affinity_select'],
    ] as const) {
      const profile = profiles.get(`TalariaIngress.${selector}`);
      expect(profile?.withSelector).toBe(true);
      expect(profile?.tableIds).toEqual([tables.get(`TalariaIngress.${table}`)!.preamble!.id]);
      expect(tables.get(`TalariaIngress.${table}`)!.implementationId).toBe(profile!.preamble!.id);
    }

    const dropCounter = (p4info.counters ?? []).find(
      (c) => c.preamble!.name === 'TalariaIngress.drop_counter',
    );
    expect(dropCounter?.spec?.unit).toBe('BOTH');
    const directCounters = new Map((p4info.directCounters ?? []).map((c) => [c.preamble!.name, c]));
    for (const [counter, table] of [
      ['frontend_counter', 'frontends'],
      ['backend_counter', 'backends'],
    ] as const) {
      expect(directCounters.get(`TalariaIngress.${counter}`)?.directTableId).toBe(
        tables.get(`TalariaIngress.${table}`)!.preamble!.id,
      );
    }
  });
});
