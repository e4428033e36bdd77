import { applyMapChanges, dumpMap, testRunProgram } from '../../src/agent/bpftool.ts';
import type { DatapathProgram } from '../../src/agent/bpf-build.ts';
import {
  DEFAULT_DATAPATH_SIZES,
  encodeFlowKey,
  encodeFlowValue,
  type Cookie,
  type FlowKey,
} from '../../src/agent/datapath-maps.ts';
import { FLOW_MAPS, loadDatapath, type LoadedDatapath } from '../../src/agent/datapath.ts';
import type { FlowTable } from '../../src/agent/datapath.ts';
import { mountTempBpffs, type TempBpffs } from './bpffs.ts';

/**
 * The host data path loaded into a private bpffs for BPF_PROG_TEST_RUN cases: fill its maps,
 * run one packet through a program, and get the verdict, the bytes that came out and the
 * counters the run incremented.
 */

export const TC_ACT = { OK: 0, SHOT: 2, REDIRECT: 7 } as const;

export interface HarnessRun {
  readonly retval: number;
  readonly output: Buffer;
  /** Stats that this run incremented, by name, with the packet count added. */
  readonly counted: Record<string, bigint>;
}

export class ProgRunHarness {
  private constructor(
    private readonly bpffs: TempBpffs,
    readonly loaded: LoadedDatapath,
  ) {}

  static async create(tag: string): Promise<ProgRunHarness> {
    const bpffs = await mountTempBpffs(tag);
    try {
      return new ProgRunHarness(
        bpffs,
        await loadDatapath({ bpffs: bpffs.path, sizes: DEFAULT_DATAPATH_SIZES }),
      );
    } catch (error) {
      await bpffs.remove();
      throw error;
    }
  }

  get datapath() {
    return this.loaded.datapath;
  }

  async run(program: DatapathProgram, packet: Uint8Array): Promise<HarnessRun> {
    const before = await this.datapath.readStats();
    const result = await testRunProgram(this.loaded.programs.programPin(program), packet);
    const counted: Record<string, bigint> = {};
    for (const [name, counter] of await this.datapath.readStats()) {
      const delta = counter.packets - (before.get(name)?.packets ?? 0n);
      if (delta > 0n) counted[name] = delta;
    }
    return { ...result, counted };
  }

  async setFlow(table: FlowTable, key: FlowKey, cookie: Cookie, lastSeenNs = 0n): Promise<void> {
    await applyMapChanges(this.datapath.mapPin(FLOW_MAPS[table]), [
      { op: 'update', key: encodeFlowKey(key), value: encodeFlowValue(cookie, lastSeenNs) },
    ]);
  }

  async clearFlows(): Promise<void> {
    for (const map of Object.values(FLOW_MAPS)) {
      const pin = this.datapath.mapPin(map);
      const entries = await dumpMap(pin);
      await applyMapChanges(
        pin,
        entries.map((e) => ({ op: 'delete' as const, key: e.key })),
      );
    }
  }

  async remove(): Promise<void> {
    await this.bpffs.remove();
  }
}
