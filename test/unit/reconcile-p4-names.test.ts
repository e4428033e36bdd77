import { beforeAll, describe, expect, it } from 'vitest';
import { P4InfoIndex } from '../../src/p4rt/p4info-index.ts';
import {
  ACTION_PARAMS,
  ACTION_PROFILES,
  ACTIONS,
  COUNTERS,
  DIRECT_COUNTERS,
  MATCH_FIELDS,
  SELECTOR_OF_TABLE,
  TABLES,
} from '../../src/reconcile/p4-names.ts';
import { talariaPipeline } from '../support/conformance/pipelines.ts';

// The reconciler's P4 names (src/reconcile/p4-names.ts) against the compiled P4Info: a
// renamed table, key, parameter or a changed width in p4/ fails here.

const files = talariaPipeline();
const describeWithP4Info = files
  ? describe
  : (title: string, body: () => void) =>
      describe.skip(`${title} [skipped: p4/build/talaria.p4info.txtpb not built yet]`, body);

describeWithP4Info('P4 names used by the reconciler', () => {
  let index: P4InfoIndex;
  beforeAll(() => {
    index = new P4InfoIndex(files!.p4info);
  });

  it.each(Object.entries(MATCH_FIELDS))(
    'table %s has exactly the expected match fields',
    (table, fields) => {
      const info = index.table(table);
      expect(Object.fromEntries(info.matchFields.map((f) => [f.name, f.bitwidth]))).toEqual(fields);
    },
  );

  it.each(Object.entries(ACTION_PARAMS))(
    'action %s has exactly the expected parameters',
    (action, params) => {
      const info = index.action(action);
      expect(Object.fromEntries(info.params.map((p) => [p.name, p.bitwidth]))).toEqual(params);
    },
  );

  it('every table references the actions the reconciler writes into it', () => {
    expect(index.table(TABLES.frontends).action(ACTIONS.setService)).toBeDefined();
    expect(index.table(TABLES.replyFrontends).action(ACTIONS.setReplySource)).toBeDefined();
    expect(index.table(TABLES.backends).action(ACTIONS.setBackend)).toBeDefined();
    expect(index.table(TABLES.backendSelect).action(ACTIONS.pickSlot)).toBeDefined();
    expect(index.table(TABLES.bucketServices).action(ACTIONS.useFlowBuckets)).toBeDefined();
    expect(index.table(TABLES.bucketServices).action(ACTIONS.useClientBuckets)).toBeDefined();
    expect(index.table(TABLES.bucketSelect).action(ACTIONS.pickBucketSlot)).toBeDefined();
    expect(index.table(TABLES.l3Forward).action(ACTIONS.forwardToExternal)).toBeDefined();
    expect(index.table(TABLES.affinitySelect).action(ACTIONS.pickSlot)).toBeDefined();
    expect(index.table(TABLES.l3Forward).action(ACTIONS.forwardToHost)).toBeDefined();
    expect(index.table(TABLES.tagKey).action(ACTIONS.setTagKeys)).toBeDefined();
    expect(index.table(TABLES.agentPorts).action(ACTIONS.acceptTalaria)).toBeDefined();
  });

  it('the select tables are implemented by their named selectors', () => {
    for (const [table, selector] of Object.entries(SELECTOR_OF_TABLE)) {
      const implementation = index.table(table).implementation;
      expect(implementation?.name).toBe(selector);
      expect(implementation?.withSelector).toBe(true);
    }
    expect(Object.values(ACTION_PROFILES).map((p) => index.actionProfile(p).name)).toEqual(
      Object.values(ACTION_PROFILES),
    );
  });

  it('the tag key is a default entry the controller may modify', () => {
    const table = index.table(TABLES.tagKey);
    expect(table.constDefaultActionId).toBe(0);
    expect(table.matchFields).toEqual([]);
  });

  it('the counters exist', () => {
    expect(index.counter(COUNTERS.drop).unit).toBe('BOTH');
    expect(index.directCounter(DIRECT_COUNTERS.frontend).tableId).toBe(
      index.table(TABLES.frontends).id,
    );
    expect(index.directCounter(DIRECT_COUNTERS.backend).tableId).toBe(
      index.table(TABLES.backends).id,
    );
  });
});
