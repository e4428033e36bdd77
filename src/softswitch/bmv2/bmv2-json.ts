/**
 * The BMv2 JSON format (what p4c's bmv2 backend emits and simple_switch loads), as far as
 * the embedded target reads it; format reference: p4lang/behavioral-model docs/JSON_format.md.
 * Objects keep unknown keys (source_info, pi_omit, ...). Type-value objects (`{type, value}`)
 * are only checked for their shape here; the compiler checks each use and names what is wrong.
 */
import { z } from 'zod';

const name = z.string().min(1);
const id = z.number().int();

/** `{ "type": ..., "value": ... }`: parameters, expression operands, keys. */
export const typedValueSchema = z.looseObject({ type: z.string(), value: z.unknown().optional() });
export type TypedValue = z.infer<typeof typedValueSchema>;

const fieldRef = z.tuple([name, name]);

const headerTypeSchema = z.looseObject({
  name,
  id,
  fields: z.array(
    z.union([
      z.tuple([name, z.union([z.number().int().positive(), z.literal('*')])]),
      // The third element says whether the field is signed; p4c writes 0 for bool fields.
      z.tuple([
        name,
        z.union([z.number().int().positive(), z.literal('*')]),
        z.union([z.boolean(), z.number()]),
      ]),
    ]),
  ),
});

const headerSchema = z.looseObject({
  name,
  id,
  header_type: name,
  metadata: z.boolean(),
});

const headerStackSchema = z.looseObject({
  name,
  id,
  header_type: name,
  header_ids: z.array(id),
});

const primitiveCallSchema = z.looseObject({
  op: name,
  parameters: z.array(typedValueSchema),
});

const parserOpSchema = z.looseObject({
  op: name,
  // Type-value objects, except for `primitive` ops whose parameter is a call {op, parameters}.
  parameters: z.array(
    z.looseObject({ type: z.string().optional(), value: z.unknown().optional() }),
  ),
});

const transitionSchema = z.looseObject({
  type: z.enum(['default', 'hexstr', 'parse_vset']),
  value: z.union([z.string(), z.null()]),
  mask: z.union([z.string(), z.null()]).optional(),
  next_state: z.union([name, z.null()]),
});

const parseStateSchema = z.looseObject({
  name,
  id,
  parser_ops: z.array(parserOpSchema),
  transition_key: z.array(typedValueSchema),
  transitions: z.array(transitionSchema),
});
export type ParseState = z.infer<typeof parseStateSchema>;

const parserSchema = z.looseObject({
  name,
  id,
  init_state: name,
  parse_states: z.array(parseStateSchema),
});

const deparserSchema = z.looseObject({
  name,
  id,
  order: z.array(name),
  primitives: z.array(primitiveCallSchema).optional(),
});

const counterArraySchema = z.looseObject({
  name,
  id,
  is_direct: z.boolean(),
  /** Absent for direct counters (their size is the table's). */
  size: z.number().int().nonnegative().optional(),
  binding: z.string().optional(),
});

const registerArraySchema = z.looseObject({
  name,
  id,
  bitwidth: z.number().int().positive(),
  size: z.number().int().nonnegative(),
});

const calculationSchema = z.looseObject({
  name,
  id,
  algo: name,
  input: z.array(
    z.looseObject({
      type: z.string(),
      value: z.unknown().optional(),
      bitwidth: z.number().optional(),
    }),
  ),
});

const actionSchema = z.looseObject({
  name,
  id,
  runtime_data: z.array(z.looseObject({ name: z.string(), bitwidth: z.number().int().positive() })),
  primitives: z.array(primitiveCallSchema),
});
export type Action = z.infer<typeof actionSchema>;

const hexstr = z.string().regex(/^-?0x[0-9a-fA-F]+$/, 'a hexstring like "0x0a"');

const matchKeyElementSchema = z.looseObject({
  match_type: z.string(),
  name: z.string().optional(),
  target: z.unknown().optional(),
  mask: z.union([z.string(), z.null()]).optional(),
});

const constEntrySchema = z.looseObject({
  match_key: z.array(
    z.looseObject({
      match_type: z.string(),
      key: hexstr.optional(),
      mask: hexstr.optional(),
      prefix_length: z.number().int().optional(),
      start: hexstr.optional(),
      end: hexstr.optional(),
    }),
  ),
  action_entry: z.looseObject({ action_id: id, action_data: z.array(hexstr) }),
  priority: z.number().int(),
});
export type ConstEntry = z.infer<typeof constEntrySchema>;

const tableSchema = z.looseObject({
  name,
  id,
  key: z.array(matchKeyElementSchema),
  match_type: z.string(),
  type: z.enum(['simple', 'indirect', 'indirect_ws']),
  action_profile: z.string().optional(),
  max_size: z.number().int().nonnegative(),
  with_counters: z.boolean(),
  support_timeout: z.boolean(),
  direct_meters: z.union([z.string(), z.null()]),
  action_ids: z.array(id),
  actions: z.array(name),
  base_default_next: z.union([name, z.null()]).optional(),
  next_tables: z.record(z.string(), z.union([name, z.null()])),
  default_entry: z
    .looseObject({
      action_id: id,
      action_const: z.boolean().optional(),
      action_data: z.array(hexstr),
      action_entry_const: z.boolean().optional(),
    })
    .optional(),
  entries: z.array(constEntrySchema).optional(),
});
export type Table = z.infer<typeof tableSchema>;

const actionProfileSchema = z.looseObject({
  name,
  id,
  max_size: z.number().int().nonnegative(),
  selector: z
    .looseObject({
      algo: name,
      input: z.array(typedValueSchema),
    })
    .optional(),
});

const conditionalSchema = z.looseObject({
  name,
  id,
  expression: typedValueSchema,
  true_next: z.union([name, z.null()]),
  false_next: z.union([name, z.null()]),
});

const pipelineSchema = z.looseObject({
  name,
  id,
  init_table: z.union([name, z.null()]),
  tables: z.array(tableSchema),
  action_profiles: z.array(actionProfileSchema),
  conditionals: z.array(conditionalSchema),
  action_calls: z.array(z.unknown()).optional(),
});
export type PipelineJson = z.infer<typeof pipelineSchema>;

const checksumSchema = z.looseObject({
  name,
  id,
  target: fieldRef,
  type: z.string(),
  calculation: z.string().optional(),
  verify: z.boolean().optional(),
  update: z.boolean().optional(),
  if_cond: z.union([typedValueSchema, z.null()]).optional(),
});

/** Arrays whose presence with any element means a construct this target refuses. */
const optionalList = z.array(z.unknown()).optional();

export const bmv2JsonSchema = z.looseObject({
  __meta__: z.looseObject({ version: z.array(z.number().int()) }).optional(),
  header_types: z.array(headerTypeSchema),
  headers: z.array(headerSchema),
  header_stacks: z.array(headerStackSchema).optional(),
  header_union_types: optionalList,
  header_unions: optionalList,
  header_union_stacks: optionalList,
  field_lists: optionalList,
  errors: z.array(z.tuple([z.string(), z.number().int()])).optional(),
  enums: optionalList,
  parsers: z.array(parserSchema),
  parse_vsets: optionalList,
  deparsers: z.array(deparserSchema),
  meter_arrays: optionalList,
  counter_arrays: z.array(counterArraySchema).optional(),
  register_arrays: z.array(registerArraySchema).optional(),
  calculations: z.array(calculationSchema).optional(),
  learn_lists: optionalList,
  actions: z.array(actionSchema),
  pipelines: z.array(pipelineSchema),
  checksums: z.array(checksumSchema).optional(),
  extern_instances: optionalList,
  field_aliases: z.array(z.tuple([z.string(), fieldRef])).optional(),
});
export type Bmv2Json = z.infer<typeof bmv2JsonSchema>;

/** Parses a BMv2 hexstring ("0x0a", "-0x01") into a bigint. */
export function parseHexstr(text: string): bigint {
  const negative = text.startsWith('-');
  const magnitude = BigInt(negative ? text.slice(1) : text);
  return negative ? -magnitude : magnitude;
}
