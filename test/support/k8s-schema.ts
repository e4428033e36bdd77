import * as k8s from '@kubernetes/client-node';

/**
 * Checks a manifest against Kubernetes' OpenAPI definitions, offline, in two ways:
 *
 * - kubernetes-models: JSON schemas generated from the OpenAPI spec (types, required
 *   fields, enums, formats), compiled into validators;
 * - unknown fields: every field must be one the API knows (what `kubectl apply` with
 *   strict field validation refuses), walked with @kubernetes/client-node's models, which
 *   are generated from the same spec.
 *
 * Returns the problems found, empty when the object is valid.
 */

type Model = { getAttributeTypeMap(): { baseName: string; type: string }[] };

const models = k8s as unknown as Record<string, Model | undefined>;

/** The kubernetes-models module of an apiVersion and kind, e.g. apps/v1 Deployment. */
async function kubernetesModel(apiVersion: string, kind: string) {
  const module = (await import(
    /* @vite-ignore */ `kubernetes-models/${apiVersion}/${kind}`
  )) as Record<string, new (data: object) => { validate(): void }>;
  const model = module[kind];
  if (!model) throw new Error(`kubernetes-models has no ${apiVersion} ${kind}`);
  return model;
}

/** client-node's model name of an apiVersion and kind: apps/v1 Deployment -> V1Deployment. */
function clientModelName(apiVersion: string, kind: string): string {
  const version = apiVersion.split('/').pop()!;
  return `${version[0]!.toUpperCase()}${version.slice(1)}${kind}`;
}

function unknownFields(value: unknown, type: string, path: string): string[] {
  if (value === null || value === undefined) return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) return [`${path}: expected a list`];
    return value.flatMap((item, i) => unknownFields(item, array[1]!, `${path}[${i}]`));
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    return Object.entries(value as object).flatMap(([k, v]) =>
      unknownFields(v, map[1]!, `${path}.${k}`),
    );
  }
  const model = models[type];
  if (!model || typeof model.getAttributeTypeMap !== 'function') return [];
  if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object`];
  const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  return Object.entries(value).flatMap(([key, v]) => {
    const fieldType = fields.get(key);
    if (fieldType === undefined) return [`${path}.${key}: unknown field of ${type}`];
    return unknownFields(v, fieldType, `${path}.${key}`);
  });
}

export async function manifestProblems(object: Record<string, unknown>): Promise<string[]> {
  const { apiVersion, kind } = object as { apiVersion?: string; kind?: string };
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return ['apiVersion and kind are required'];
  }
  const name = `${kind}/${(object.metadata as { name?: string } | undefined)?.name ?? '?'}`;
  const problems: string[] = [];
  try {
    new (await kubernetesModel(apiVersion, kind))(object).validate();
  } catch (error) {
    problems.push(`${name}: ${(error as Error).message}`);
  }
  const clientModel = clientModelName(apiVersion, kind);
  if (!models[clientModel]) problems.push(`${name}: @kubernetes/client-node has no ${clientModel}`);
  else problems.push(...unknownFields(object, clientModel, name));
  return problems;
}
