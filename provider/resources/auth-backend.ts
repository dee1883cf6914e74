import { trimSlashes, type FerryClient } from '../client/ferry-client.js';
import type { Diagnostics } from '../framework/diagnostics.js';
import { requiresReplace, useStateForUnknown } from '../framework/plan-modifiers.js';
import { step } from '../framework/client-resource.js';
import type { Schema } from '../framework/schema.js';
import { boolType, stringType } from '../framework/value-type.js';
import { objectFromEntries, type ObjectValue } from '../framework/values.js';
import { boolValue, stringValue } from './attribute-values.js';
import { disableTableEntry, enableTableEntry, findMountEntry, type TableKind } from './table-entry.js';
import { mountPathValidator } from './path-validators.js';
import type { FerryResource } from './ferry-client-binding.js';

const schema: Schema = {
  version: 0,
  block: {
    description: 'An auth method mount, for example userpass.',
    attributes: {
      path: {
        type: stringType,
        required: true,
        planModifiers: [requiresReplace()],
        validators: [mountPathValidator],
        description: 'Where the auth method is mounted (under auth/).',
      },
      type: { type: stringType, required: true, planModifiers: [requiresReplace()], description: 'The auth method type, for example `userpass`.' },
      description: { type: stringType, optional: true, computed: true, default: '', description: 'Human-readable description. Tuned in place.' },
      local: {
        type: boolType,
        optional: true,
        computed: true,
        default: false,
        planModifiers: [requiresReplace()],
        description: 'Keep the auth method on this cluster only (not replicated).',
      },
      accessor: { type: stringType, computed: true, planModifiers: [useStateForUnknown()], description: 'The mount accessor.' },
    },
  },
};

const AUTH_METHODS: TableKind = { table: 'sys/auth', noun: 'auth method' };

interface AuthEntry {
  type?: string;
  description?: string;
  local?: boolean;
  accessor?: string;
}

/** `ferry_auth_backend`: POST/DELETE sys/auth/<path>, read from GET sys/auth. */
export class AuthBackendResource implements FerryResource {
  readonly operations = {
    create: { summary: 'Cannot enable auth method' },
    read: { summary: 'Cannot read auth method' },
    update: { summary: 'Cannot tune auth method' },
    delete: { summary: 'Cannot disable auth method' },
  };

  metadata() {
    return { typeName: 'ferry_auth_backend' };
  }

  schema(): Schema {
    return schema;
  }

  async create({ plan }: { plan: ObjectValue }, client: FerryClient, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const path = trimSlashes(stringValue(plan, 'path') ?? '');
    const body = { type: stringValue(plan, 'type'), description: stringValue(plan, 'description') ?? '', local: boolValue(plan, 'local') === true };
    if (!(await enableTableEntry(client, AUTH_METHODS, path, body, diagnostics))) return null;
    return await step(this.operations.read.summary, () => this.read({ state: plan }, client));
  }

  async read({ state }: { state: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    const path = stringValue(state, 'path') ?? '';
    const entry = await findMountEntry<AuthEntry>(client, 'sys/auth', path);
    if (entry === null) return null;
    return objectFromEntries([
      ['path', path],
      ['type', entry.type ?? ''],
      ['description', entry.description ?? ''],
      ['local', entry.local === true],
      ['accessor', entry.accessor ?? ''],
    ]);
  }

  async update({ plan, prior }: { plan: ObjectValue; prior: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    await client.write(`sys/auth/${trimSlashes(stringValue(prior, 'path') ?? '')}/tune`, { description: stringValue(plan, 'description') ?? '' });
    return await step(this.operations.read.summary, () => this.read({ state: prior }, client));
  }

  async delete({ prior }: { prior: ObjectValue }, client: FerryClient): Promise<void> {
    await disableTableEntry(client, AUTH_METHODS, stringValue(prior, 'path') ?? '');
  }

  async importState(id: string): Promise<ObjectValue | null> {
    return objectFromEntries([['path', trimSlashes(id)]]);
  }
}
