/**
 * Writes charts/talaria/values.schema.json (`npm run chart:schema`): the chart's values,
 * with `controller.config` taken from the controller's own configuration schema
 * (src/controller/config.ts), so helm refuses at install time what `talaria run` would
 * refuse at start. test/unit/deploy-manifests.test.ts checks that the file is fresh.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format } from 'prettier';
import { z } from 'zod';
import { controllerConfigSchema } from '../src/controller/config.ts';

export const SCHEMA_FILE = fileURLToPath(
  new URL('../charts/talaria/values.schema.json', import.meta.url),
);

const quantity = { type: ['string', 'number'], pattern: '^[0-9.]+[a-zA-Z]*$' };
const resources = {
  type: 'object',
  additionalProperties: false,
  properties: {
    requests: {
      type: 'object',
      additionalProperties: false,
      properties: { cpu: quantity, memory: quantity },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: { cpu: quantity, memory: quantity },
    },
  },
};

export function chartValuesSchema(): object {
  const config = z.toJSONSchema(controllerConfigSchema, {
    io: 'input',
    target: 'draft-7',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  // A sub-schema: the draft is named once, at the top.
  delete config.$schema;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Values of the talaria chart',
    type: 'object',
    additionalProperties: false,
    required: ['image', 'controller', 'agent'],
    properties: {
      image: {
        type: 'object',
        additionalProperties: false,
        required: ['repository'],
        properties: {
          repository: { type: 'string', minLength: 1 },
          tag: { type: 'string', description: "empty: the chart's appVersion" },
          pullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
        },
      },
      controller: {
        type: 'object',
        additionalProperties: false,
        required: ['config'],
        properties: {
          replicas: { type: 'integer', minimum: 1 },
          resources,
          switchTlsSecret: {
            type: 'string',
            pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
            description: 'Secret with ca.crt, tls.crt, tls.key (optional: plaintext needs none)',
          },
          config: { ...config, description: 'talaria.yaml (docs/operations.md)' },
        },
      },
      agent: {
        type: 'object',
        additionalProperties: false,
        properties: {
          enabled: { type: 'boolean' },
          uplink: { type: 'string', minLength: 1, maxLength: 15 },
          switchMac: { type: 'string', pattern: '^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$' },
          podMtu: { type: 'integer', minimum: 576, maximum: 65535 },
          httpPort: { type: 'integer', minimum: 1, maximum: 65535 },
          capabilities: {
            type: 'array',
            uniqueItems: true,
            items: { enum: ['BPF', 'PERFMON', 'NET_ADMIN', 'SYS_ADMIN', 'SYS_RESOURCE'] },
          },
          resources,
        },
      },
    },
  };
}

/** The file's text, formatted as the repository's prettier formats it. */
export async function chartValuesSchemaText(): Promise<string> {
  return format(JSON.stringify(chartValuesSchema()), { parser: 'json', filepath: SCHEMA_FILE });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(SCHEMA_FILE, await chartValuesSchemaText());
  console.log(`wrote ${SCHEMA_FILE}`);
}
