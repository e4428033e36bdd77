import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { P4RuntimeClient } from '../../p4rt/client.ts';
import { EntityCodec, type NamedEntity, type NamedTableEntry } from '../../p4rt/entity-codec.ts';
import { formatTableEntry, formatAction } from '../../p4rt/entity-format.ts';
import { P4RuntimeRpcError } from '../../p4rt/errors.ts';
import type { Entity } from '../../p4rt/generated/p4/v1/Entity.ts';
import { P4InfoIndex, type TableInfo } from '../../p4rt/p4info-index.ts';
import { DROP_COUNTER_INDICES } from '../../wire/drop-reasons.ts';
import { defineCommand, UsageError } from '../command.ts';

const DROP_COUNTER_NAME = new Map<number, string>(
  Object.entries(DROP_COUNTER_INDICES).map(([name, index]) => [index, name]),
);

/** Parameters that hold secrets (the cookie tag's key): printed as <hidden>. */
const SECRET_PARAM = /\b(\w*key)=[^,)]+/gi;

const redacted = (line: string): string => line.replace(SECRET_PARAM, '$1=<hidden>');

const entryId = (entry: NamedTableEntry): string =>
  JSON.stringify(entry.match, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );

/** Reads that a target may not support are shown as missing, not as a failure of the command. */
async function readOptional(
  client: P4RuntimeClient,
  codec: EntityCodec,
  entities: Entity[],
): Promise<NamedEntity[] | string> {
  if (entities.length === 0) return [];
  try {
    return (await client.read(entities)).map((entity) => codec.decode(entity));
  } catch (error) {
    if (error instanceof P4RuntimeRpcError && error.isSessionFailure) throw error;
    return (error as Error).message;
  }
}

export const statusCommand = defineCommand({
  name: 'status',
  summary: "Show the state of a switch's load-balancer tables",
  options: {
    switch: { type: 'string' },
    'device-id': { type: 'string' },
    table: { type: 'string', multiple: true },
    'tls-ca': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-server-name': { type: 'string' },
  },
  schema: z
    .object({
      switch: z
        .string({ error: 'is required (host:port)' })
        .regex(/^\S+:\d{1,5}$/, 'must be host:port'),
      'device-id': z
        .string()
        .regex(/^[1-9]\d*$/, 'must be a positive integer')
        .default('1'),
      table: z.array(z.string().min(1)).optional(),
      'tls-ca': z.string().min(1).optional(),
      'tls-cert': z.string().min(1).optional(),
      'tls-key': z.string().min(1).optional(),
      'tls-server-name': z.string().min(1).optional(),
    })
    .strict()
    .refine((o) => (o['tls-cert'] === undefined) === (o['tls-key'] === undefined), {
      message: '--tls-cert and --tls-key go together',
      path: ['tls-cert'],
    })
    .refine(
      (o) =>
        o['tls-ca'] !== undefined ||
        (o['tls-cert'] === undefined && o['tls-server-name'] === undefined),
      { message: '--tls-cert and --tls-server-name need --tls-ca', path: ['tls-ca'] },
    ),
  details:
    'Reads every table, action profile and counter of the switch through its own P4Info\n' +
    '(no election: works beside a running controller). --table limits the output to tables\n' +
    'by name or alias. --tls-ca FILE talks TLS to the switch (verifying it with that CA),\n' +
    '--tls-cert FILE --tls-key FILE add a client certificate (mutual TLS), --tls-server-name\n' +
    "verifies the certificate against another name than the address's host.",
  async run(options) {
    const read = (path: string | undefined) => (path === undefined ? undefined : readFile(path));
    const [rootCerts, certChain, privateKey] = await Promise.all([
      read(options['tls-ca']),
      read(options['tls-cert']),
      read(options['tls-key']),
    ]);
    const client = new P4RuntimeClient({
      address: options.switch,
      deviceId: options['device-id'],
      electionId: 0n,
      rpcTimeoutMs: 10_000,
      ...(rootCerts
        ? {
            tls: {
              rootCerts,
              ...(certChain && privateKey ? { certChain, privateKey } : {}),
              ...(options['tls-server-name']
                ? { serverNameOverride: options['tls-server-name'] }
                : {}),
            },
          }
        : {}),
    });
    try {
      const config = await client.getPipelineConfig('P4INFO_AND_COOKIE');
      if (config?.p4info === undefined) {
        console.error(
          `talaria status: ${options.switch} device ${options['device-id']} has no pipeline`,
        );
        return 1;
      }
      const index = new P4InfoIndex(config.p4info);
      const codec = new EntityCodec(index);
      let tables: readonly TableInfo[] = index.tables.all;
      if (options.table !== undefined) {
        const wanted = options.table;
        for (const name of wanted) {
          if (index.tables.find(name) === undefined)
            throw new UsageError(`status: --table: no table "${name}"`);
        }
        tables = tables.filter((t) => wanted.includes(t.name) || wanted.includes(t.alias));
      }
      const profiles = index.actionProfiles.all.filter((p) =>
        p.tableIds.some((id) => tables.some((t) => t.id === id)),
      );

      const entries = (await client.read(tables.map((t) => codec.readTable(t.name)))).map((e) =>
        codec.decode(e),
      );
      const groupsAndMembers = (
        await client.read(
          profiles.flatMap((p) => [codec.readMembers(p.name), codec.readGroups(p.name)]),
        )
      ).map((e) => codec.decode(e));
      const defaults = await readOptional(
        client,
        codec,
        tables
          .filter((t) => t.constDefaultActionId === 0 && t.implementation === undefined)
          .map((t) => codec.readDefaultEntry(t.name)),
      );
      const directCounts = await readOptional(
        client,
        codec,
        tables
          .filter((t) => t.directCounterIds.length > 0)
          .map((t) => codec.readDirectCounters(t.name)),
      );
      // Indexed counters belong to no table: shown only when every table is.
      const counters =
        options.table === undefined
          ? await readOptional(
              client,
              codec,
              index.counters.all.map((c) => codec.readCounter(c.name)),
            )
          : undefined;

      const counts = new Map<string, string>();
      if (typeof directCounts !== 'string') {
        for (const named of directCounts) {
          if (named.kind !== 'directCounter') continue;
          counts.set(
            `${named.cell.entry.table} ${entryId(named.cell.entry)}`,
            `[${named.cell.packets} pkts, ${named.cell.bytes} bytes]`,
          );
        }
      }
      const cookie =
        config.cookie?.cookie === undefined
          ? 'none'
          : `0x${BigInt(config.cookie.cookie).toString(16)}`;
      const lines = [
        `switch ${options.switch} device ${options['device-id']}: pipeline cookie ${cookie}`,
      ];
      for (const table of tables) {
        const rows = entries.flatMap((named) =>
          named.kind === 'tableEntry' && named.entry.table === table.name ? [named.entry] : [],
        );
        lines.push('', `${table.name} (${rows.length} of ${table.size})`);
        if (typeof defaults !== 'string') {
          for (const named of defaults) {
            if (named.kind === 'tableEntry' && named.entry.table === table.name) {
              lines.push(`  ${redacted(formatTableEntry(named.entry, index))}`);
            }
          }
        }
        for (const entry of rows) {
          const count = counts.get(`${table.name} ${entryId(entry)}`);
          lines.push(
            `  ${formatTableEntry(entry, index)}${count === undefined ? '' : `  ${count}`}`,
          );
        }
      }
      for (const profile of profiles) {
        const members = groupsAndMembers.flatMap((n) =>
          n.kind === 'member' && n.member.actionProfile === profile.name ? [n.member] : [],
        );
        const groups = groupsAndMembers.flatMap((n) =>
          n.kind === 'group' && n.group.actionProfile === profile.name ? [n.group] : [],
        );
        lines.push('', `${profile.name} (${members.length} members, ${groups.length} groups)`);
        for (const member of members)
          lines.push(`  member ${member.memberId} -> ${formatAction(member.action, index)}`);
        for (const group of groups) {
          lines.push(
            `  group ${group.groupId}: members ${group.members.map((m) => m.memberId).join(', ') || 'none'}`,
          );
        }
      }
      if (counters !== undefined && typeof counters !== 'string') {
        for (const counter of index.counters.all) {
          const cells = counters.flatMap((n) =>
            n.kind === 'counter' &&
            n.cell.counter === counter.name &&
            (n.cell.packets > 0n || n.cell.bytes > 0n)
              ? [n.cell]
              : [],
          );
          lines.push('', `${counter.name} (${cells.length} non-zero of ${counter.size})`);
          const isDropCounter = counter.alias.endsWith('drop_counter');
          for (const cell of cells) {
            const name = isDropCounter
              ? (DROP_COUNTER_NAME.get(cell.index) ?? `index ${cell.index}`)
              : `index ${cell.index}`;
            lines.push(`  ${name}: ${cell.packets} pkts, ${cell.bytes} bytes`);
          }
        }
      }
      console.log(lines.join('\n'));
      return 0;
    } catch (error) {
      if (error instanceof P4RuntimeRpcError) {
        console.error(`talaria status: ${options.switch}: ${error.message}`);
        return 1;
      }
      throw error;
    } finally {
      client.close();
    }
  },
});
