import { trimSlashes, type FerryClient } from '../client/ferry-client.js';
import type { Diagnostics } from '../framework/diagnostics.js';
import { requiresReplace, useStateForUnknown } from '../framework/plan-modifiers.js';
import { step } from '../framework/client-resource.js';
import type { Schema } from '../framework/schema.js';
import { boolType, mapOf, numberType, stringType } from '../framework/value-type.js';
import { objectFromEntries, type ObjectValue } from '../framework/values.js';
import { boolValue, numberValue, stringMapValue, stringValue, toStringMap } from './attribute-values.js';
import type { FerryResource } from './ferry-client-binding.js';
import { mountPathValidator } from './path-validators.js';
import { disableTableEntry, enableTableEntry, findMountEntry, type TableKind } from './table-entry.js';

const schema: Schema = {
  version: 0,
  block: {
    description: 'A secrets engine mount. Local mounts stay on the cluster they are created on; replicated mounts are created on the primary.',
    attributes: {
      path: {
        type: stringType,
        required: true,
        description: 'Where the secrets engine is mounted, without slashes at either end.',
        planModifiers: [requiresReplace()],
        validators: [mountPathValidator],
      },
      type: { type: stringType, required: true, description: 'The secrets engine type, for example `kv` or `kv-v2`.', planModifiers: [requiresReplace()] },
      description: { type: stringType, optional: true, computed: true, default: '', description: 'Human-readable description of the mount.' },
      local: {
        type: boolType,
        optional: true,
        computed: true,
        default: false,
        planModifiers: [requiresReplace()],
        description: 'Keep the mount on this cluster only (not replicated). Can only be chosen when mounting; required for mounts on a replication secondary.',
      },
      options: {
        type: mapOf(stringType),
        optional: true,
        computed: true,
        planModifiers: [useStateForUnknown()],
        description: 'Options passed to the secrets engine, for example `version`.',
      },
      default_lease_ttl_seconds: {
        type: numberType,
        optional: true,
        computed: true,
        planModifiers: [useStateForUnknown()],
        description: 'Default lease duration in seconds (0 = system default). Tuned in place.',
      },
      max_lease_ttl_seconds: {
        type: numberType,
        optional: true,
        computed: true,
        planModifiers: [useStateForUnknown()],
        description: 'Maximum lease duration in seconds (0 = system default). Tuned in place.',
      },
      accessor: { type: stringType, computed: true, planModifiers: [useStateForUnknown()], description: 'The mount accessor.' },
    },
  },
};

interface MountEntry {
  type?: string;
  description?: string;
  local?: boolean;
  options?: Record<string, unknown> | null;
  config?: { default_lease_ttl?: number; max_lease_ttl?: number };
  accessor?: string;
}

const MOUNTS: TableKind = { table: 'sys/mounts', noun: 'mount' };

function toState(path: string, entry: MountEntry): ObjectValue {
  return objectFromEntries([
    ['path', path],
    ['type', entry.type ?? ''],
    ['description', entry.description ?? ''],
    ['local', entry.local === true],
    ['options', toStringMap(entry.options ?? {})],
    ['default_lease_ttl_seconds', entry.config?.default_lease_ttl ?? 0],
    ['max_lease_ttl_seconds', entry.config?.max_lease_ttl ?? 0],
    ['accessor', entry.accessor ?? ''],
  ]);
}

/** `ferry_mount`: POST/DELETE sys/mounts/<path>, tuned through sys/mounts/<path>/tune. */
export class MountResource implements FerryResource {
  readonly operations = {
    create: { summary: 'Cannot create mount' },
    read: { summary: 'Cannot read mount' },
    update: { summary: 'Cannot tune mount' },
    delete: { summary: 'Cannot unmount' },
  };

  metadata() {
    return { typeName: 'ferry_mount' };
  }

  schema(): Schema {
    return schema;
  }

  async create({ plan }: { plan: ObjectValue }, client: FerryClient, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const path = trimSlashes(stringValue(plan, 'path') ?? '');
    const config: Record<string, number> = {};
    const defaultTtl = numberValue(plan, 'default_lease_ttl_seconds');
    const maxTtl = numberValue(plan, 'max_lease_ttl_seconds');
    if (defaultTtl !== null) config['default_lease_ttl'] = defaultTtl;
    if (maxTtl !== null) config['max_lease_ttl'] = maxTtl;
    const body = {
      type: stringValue(plan, 'type'),
      description: stringValue(plan, 'description') ?? '',
      local: boolValue(plan, 'local') === true,
      options: stringMapValue(plan, 'options') ?? {},
      config,
    };
    if (!(await enableTableEntry(client, MOUNTS, path, body, diagnostics))) return null;
    return await this.readBack(client, stringValue(plan, 'path') ?? path, diagnostics);
  }

  async read({ state }: { state: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    const path = stringValue(state, 'path') ?? '';
    const entry = await findMountEntry<MountEntry>(client, 'sys/mounts', path);
    return entry === null ? null : toState(path, entry);
  }

  async update({ plan, prior }: { plan: ObjectValue; prior: ObjectValue }, client: FerryClient, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const path = trimSlashes(stringValue(prior, 'path') ?? '');
    const tune: Record<string, unknown> = { description: stringValue(plan, 'description') ?? '' };
    const defaultTtl = numberValue(plan, 'default_lease_ttl_seconds');
    const maxTtl = numberValue(plan, 'max_lease_ttl_seconds');
    if (defaultTtl !== null) tune['default_lease_ttl'] = defaultTtl;
    if (maxTtl !== null) tune['max_lease_ttl'] = maxTtl;
    const options = stringMapValue(plan, 'options');
    if (options !== null) tune['options'] = options;
    await client.write(`sys/mounts/${path}/tune`, tune);
    return await this.readBack(client, stringValue(prior, 'path') ?? path, diagnostics);
  }

  async delete({ prior }: { prior: ObjectValue }, client: FerryClient): Promise<void> {
    await disableTableEntry(client, MOUNTS, stringValue(prior, 'path') ?? '');
  }

  async importState(id: string): Promise<ObjectValue | null> {
    return objectFromEntries([['path', trimSlashes(id)]]);
  }

  /** The mount as the server lists it right after a write; a missing one is an error then. */
  private async readBack(client: FerryClient, path: string, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const state = await step(this.operations.read.summary, () => this.read({ state: objectFromEntries([['path', path]]) }, client));
    if (state === null) diagnostics.error('Mount missing after write', `Ferry at ${client.address} does not list the mount "${path}/".`);
    return state;
  }
}
