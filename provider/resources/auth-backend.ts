import { trimSlashes } from '../client/ferry-client.js';
import type { Diagnostics } from '../framework/diagnostics.js';
import { requiresReplace, useStateForUnknown } from '../framework/plan-modifiers.js';
import type { Resource } from '../framework/resource.js';
import type { Schema } from '../framework/schema.js';
import { boolType, stringType } from '../framework/value-type.js';
import { objectFromEntries, type ObjectValue } from '../framework/values.js';
import { reportApiError } from './api-diagnostics.js';
import { boolValue, stringValue } from './attribute-values.js';
import { disableTableEntry, enableTableEntry, findMountEntry, type TableKind } from './table-entry.js';
import { mountPathValidator } from './path-validators.js';
import { requireClient, type FerryProviderData } from './provider-data.js';

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
export class AuthBackendResource implements Resource<FerryProviderData> {
  metadata() {
    return { typeName: 'ferry_auth_backend' };
  }

  schema(): Schema {
    return schema;
  }

  async create({ plan }: { plan: ObjectValue }, provider: FerryProviderData, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const client = requireClient(provider, diagnostics, 'Cannot enable auth method');
    if (client === undefined) return null;
    const path = trimSlashes(stringValue(plan, 'path') ?? '');
    const body = { type: stringValue(plan, 'type'), description: stringValue(plan, 'description') ?? '', local: boolValue(plan, 'local') === true };
    if (!(await enableTableEntry(client, AUTH_METHODS, path, body, diagnostics))) return null;
    return await this.read({ state: plan }, provider, diagnostics);
  }

  async read({ state }: { state: ObjectValue }, provider: FerryProviderData, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const client = requireClient(provider, diagnostics, 'Cannot read auth method');
    if (client === undefined) return null;
    const path = stringValue(state, 'path') ?? '';
    try {
      const entry = await findMountEntry<AuthEntry>(client, 'sys/auth', path);
      if (entry === null) return null;
      return objectFromEntries([
        ['path', path],
        ['type', entry.type ?? ''],
        ['description', entry.description ?? ''],
        ['local', entry.local === true],
        ['accessor', entry.accessor ?? ''],
      ]);
    } catch (err) {
      reportApiError(diagnostics, 'Cannot read auth method', err);
      return null;
    }
  }

  async update({ plan, prior }: { plan: ObjectValue; prior: ObjectValue }, provider: FerryProviderData, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const client = requireClient(provider, diagnostics, 'Cannot tune auth method');
    if (client === undefined) return null;
    try {
      await client.write(`sys/auth/${trimSlashes(stringValue(prior, 'path') ?? '')}/tune`, { description: stringValue(plan, 'description') ?? '' });
    } catch (err) {
      reportApiError(diagnostics, 'Cannot tune auth method', err);
      return null;
    }
    return await this.read({ state: prior }, provider, diagnostics);
  }

  async delete({ prior }: { prior: ObjectValue }, provider: FerryProviderData, diagnostics: Diagnostics): Promise<void> {
    const client = requireClient(provider, diagnostics, 'Cannot disable auth method');
    if (client === undefined) return;
    await disableTableEntry(client, AUTH_METHODS, stringValue(prior, 'path') ?? '', diagnostics);
  }

  async importState(id: string): Promise<ObjectValue | null> {
    return objectFromEntries([['path', trimSlashes(id)]]);
  }
}
