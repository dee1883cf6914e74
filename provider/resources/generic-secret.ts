import { trimSlashes, type FerryClient } from '../client/ferry-client.js';
import { attributePath, type AttributePath, type Diagnostics } from '../framework/diagnostics.js';
import { requiresReplace } from '../framework/plan-modifiers.js';
import type { Schema } from '../framework/schema.js';
import { boolType, stringType } from '../framework/value-type.js';
import { objectFromEntries, type ObjectValue, type Value } from '../framework/values.js';
import { ignoringNotFound } from './api-diagnostics.js';
import { boolValue, stringValue } from './attribute-values.js';
import type { FerryResource } from './ferry-client-binding.js';

function dataJsonValidator(value: Value, path: AttributePath, diagnostics: Diagnostics): void {
  if (typeof value !== 'string') return;
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
  } catch {
    diagnostics.error('Invalid data_json', 'data_json must be a JSON object, for example jsonencode({ password = "..." }).', path);
  }
}

const schema: Schema = {
  version: 0,
  block: {
    description:
      'Any secret written to a path as a JSON object. For KV version 2 give the `data/` path (`secret/data/app`): the object is sent as `{"data": ...}` and read back from `data.data`.',
    attributes: {
      path: {
        type: stringType,
        required: true,
        planModifiers: [requiresReplace()],
        description: 'The full path of the secret, for example `secret/data/app` or `kv/app`.',
      },
      data_json: { type: stringType, required: true, sensitive: true, validators: [dataJsonValidator], description: 'The secret as a JSON object.' },
      disable_read: {
        type: boolType,
        optional: true,
        computed: true,
        default: false,
        description: 'Do not read the secret back (for write-only paths such as userpass users); drift is then not detected.',
      },
    },
  },
};

/** True when `path` addresses a KV v2 secret (`<mount>/data/<name>`). */
export function isKvV2DataPath(path: string): boolean {
  return /^[^/]+(?:\/[^/]+)*?\/data\/.+/.test(trimSlashes(path));
}

function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, x]) => [k, sort(x)]),
          )
        : v;
  return JSON.stringify(sort(value));
}

/** `ferry_generic_secret`: writes the JSON object to its path and reads it back (v1 `data`, v2 `data.data`). */
export class GenericSecretResource implements FerryResource {
  readonly operations = {
    create: { summary: 'Cannot write secret', path: attributePath('path') },
    read: { summary: 'Cannot read secret' },
    update: { summary: 'Cannot write secret', path: attributePath('path') },
    delete: { summary: 'Cannot delete secret' },
  };

  metadata() {
    return { typeName: 'ferry_generic_secret' };
  }

  schema(): Schema {
    return schema;
  }

  async create({ plan }: { plan: ObjectValue }, client: FerryClient, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    return await this.write(plan, client, diagnostics);
  }

  async update({ plan }: { plan: ObjectValue }, client: FerryClient, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    return await this.write(plan, client, diagnostics);
  }

  /** A write-only secret is never read back: its state is what was written. */
  readWithoutClient(state: ObjectValue): ObjectValue | undefined {
    return boolValue(state, 'disable_read') === true ? state : undefined;
  }

  async read({ state }: { state: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    const path = trimSlashes(stringValue(state, 'path') ?? '');
    const res = await client.read<{ data?: Record<string, unknown> & { data?: Record<string, unknown> | null } }>(path);
    const data = isKvV2DataPath(path) ? res?.data?.data : res?.data;
    if (data === null || data === undefined || typeof data !== 'object') return null;
    const prior = stringValue(state, 'data_json');
    let priorParsed: unknown;
    try {
      priorParsed = prior === null ? undefined : JSON.parse(prior);
    } catch {
      priorParsed = undefined;
    }
    // Keep the configured spelling (key order, spacing) when the content is the same.
    const dataJson = prior !== null && priorParsed !== undefined && sortedJson(priorParsed) === sortedJson(data) ? prior : sortedJson(data);
    return objectFromEntries([
      ['path', stringValue(state, 'path') ?? path],
      ['data_json', dataJson],
      ['disable_read', boolValue(state, 'disable_read') ?? false],
    ]);
  }

  async delete({ prior }: { prior: ObjectValue }, client: FerryClient): Promise<void> {
    const path = trimSlashes(stringValue(prior, 'path') ?? '');
    // For KV v2, deleting metadata removes every version, which is what destroying the resource means.
    const target = isKvV2DataPath(path) ? path.replace(/\/data\//, '/metadata/') : path;
    await ignoringNotFound(() => client.delete(target));
  }

  async importState(id: string): Promise<ObjectValue | null> {
    return objectFromEntries([
      ['path', trimSlashes(id)],
      ['disable_read', false],
    ]);
  }

  private async write(plan: ObjectValue, client: FerryClient, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const path = trimSlashes(stringValue(plan, 'path') ?? '');
    let data: unknown;
    try {
      data = JSON.parse(stringValue(plan, 'data_json') ?? '{}');
    } catch {
      diagnostics.error('Invalid data_json', 'data_json must be a JSON object.', attributePath('data_json'));
      return null;
    }
    await client.write(path, isKvV2DataPath(path) ? { data } : data);
    return plan;
  }
}
