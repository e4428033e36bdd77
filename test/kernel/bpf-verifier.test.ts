import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  buildBpfObject,
  buildDatapathObjects,
  DATAPATH_PROGRAMS,
  type DatapathProgram,
} from '../../src/agent/bpf-build.ts';
import { pinnedMapInfo } from '../../src/agent/bpftool.ts';
import {
  DATAPATH_MAPS,
  DEFAULT_DATAPATH_SIZES,
  mapEntries,
  type DatapathMapName,
} from '../../src/agent/datapath-maps.ts';
import { loadDatapath } from '../../src/agent/datapath.ts';
import { runHostCommand } from '../../src/agent/host-command.ts';
import { mountTempBpffs, type TempBpffs } from '../support/bpffs.ts';
import { describeTier } from '../support/tiers.ts';

/**
 * The verifier of this kernel accepts every program of the host data path, and the maps the
 * C code defines have exactly the shapes src/agent/datapath-maps.ts encodes for.
 */

const MAP_NAMES = Object.keys(DATAPATH_MAPS) as DatapathMapName[];

describeTier('kernel', 'eBPF programs load on this kernel', () => {
  let bpffs: TempBpffs;
  let scratch: string;

  beforeAll(async () => {
    bpffs = await mountTempBpffs('verifier');
    scratch = await mkdtemp(join(tmpdir(), 'talaria-verifier-'));
  });

  afterAll(async () => {
    await bpffs?.remove();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  for (const [key, { object, name: program }] of Object.entries(DATAPATH_PROGRAMS)) {
    it(`the verifier accepts ${program} (${object}) with the maps its object defines`, async () => {
      const objects = await buildDatapathObjects();
      const pinDir = join(bpffs.path, `own-${key}`);
      const mapDir = join(bpffs.path, `own-${key}-maps`);
      await runHostCommand([
        'bpftool',
        'prog',
        'loadall',
        objects[object],
        pinDir,
        'type',
        'tc',
        'pinmaps',
        mapDir,
      ]);
      const { stdout } = await runHostCommand([
        'bpftool',
        '-j',
        'prog',
        'show',
        'pinned',
        join(pinDir, program),
      ]);
      // Debian 12's bpftool (7.1) does not print verified_insns; every version prints the
      // size of the program as the verifier left it, which a rejected load would not have.
      const info = JSON.parse(stdout) as { type: string; bytes_xlated: number };
      expect(info.type).toBe('sched_cls');
      expect(info.bytes_xlated).toBeGreaterThan(0);

      for (const name of MAP_NAMES) {
        const shape = await pinnedMapInfo(join(mapDir, name));
        expect({ name, type: shape.type, key: shape.bytes_key, value: shape.bytes_value }).toEqual({
          name,
          type: DATAPATH_MAPS[name].type,
          key: DATAPATH_MAPS[name].keySize,
          value: DATAPATH_MAPS[name].valueSize,
        });
        expect(shape.max_entries).toBe(mapEntries(name, DEFAULT_DATAPATH_SIZES));
      }
    });
  }

  it('the loader creates every map with the configured sizes and both programs share them', async () => {
    const sizes = {
      clientFlows: 1_000,
      backendFlows: 2_000,
      halfOpenFlows: 500,
      vips: 3_000,
      localPods: 40,
    };
    const { datapath, programs, reusedMaps } = await loadDatapath({
      bpffs: join(bpffs.path, 'loader'),
      sizes,
    });
    expect(reusedMaps).toEqual([]);
    for (const name of MAP_NAMES) {
      expect((await pinnedMapInfo(datapath.mapPin(name))).max_entries).toBe(
        mapEntries(name, sizes),
      );
    }
    const mapIdsOf = async (pin: string) => {
      const { stdout } = await runHostCommand(['bpftool', '-j', 'prog', 'show', 'pinned', pin]);
      return (JSON.parse(stdout) as { map_ids: number[] }).map_ids;
    };
    const shared = await Promise.all(
      MAP_NAMES.map(async (n) => (await pinnedMapInfo(datapath.mapPin(n))).id),
    );
    for (const program of Object.keys(DATAPATH_PROGRAMS) as DatapathProgram[]) {
      const used = await mapIdsOf(programs.programPin(program));
      expect(used.length).toBeGreaterThan(0);
      for (const id of used) expect(shared).toContain(id);
    }

    // A second load is an agent restart: the same maps, new programs.
    const again = await loadDatapath({ bpffs: join(bpffs.path, 'loader'), sizes });
    expect([...again.reusedMaps].sort()).toEqual([...MAP_NAMES].sort());
    expect(again.programs.generation).not.toBe(programs.generation);
  });

  it('map sizes are compile-time overridable (#ifndef in bpf/lib/config.h)', async () => {
    const object = await buildBpfObject('bpf_host.c', {
      outputDir: scratch,
      defines: { CLIENT_FLOWS_MAX: '1024', LOCAL_PODS_MAX: '8' },
    });
    const mapDir = join(bpffs.path, 'override-maps');
    await runHostCommand([
      'bpftool',
      'prog',
      'loadall',
      object,
      join(bpffs.path, 'override'),
      'type',
      'tc',
      'pinmaps',
      mapDir,
    ]);
    expect((await pinnedMapInfo(join(mapDir, 'tl_client_flow'))).max_entries).toBe(1024);
    expect((await pinnedMapInfo(join(mapDir, 'tl_local_pods'))).max_entries).toBe(8);
    expect((await pinnedMapInfo(join(mapDir, 'tl_backend_flow'))).max_entries).toBe(
      DEFAULT_DATAPATH_SIZES.backendFlows,
    );
  });
});
