import { ApiError } from '../client/api-error.js';
import { trimSlashes } from '../client/ferry-client.js';
import { attributePath, type Diagnostics } from '../framework/diagnostics.js';
import { requiresReplace, useStateForUnknown } from '../framework/plan-modifiers.js';
import type { Resource } from '../framework/resource.js';
import type { Schema } from '../framework/schema.js';
import { boolType, stringType } from '../framework/value-type.js';
import { objectFromEntries, type ObjectValue } from '../framework/values.js';
import { reportApiError } from './api-diagnostics.js';
import { boolValue, stringValue } from './attribute-values.js';
import { findMountEntry } from './mount.js';
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
    try {
      await client.write(`sys/auth/${path}`, {
        type: stringValue(plan, 'type'),
        description: stringValue(plan, 'description') ?? '',
        local: boolValue(plan, 'local') === true,
      });
    } catch (err) {
      if (err instanceof ApiError && err.mentions('non-local') && err.mentions('secondary')) {
        diagnostics.error(
          'Replicated auth method on a replication secondary',
          `Ferry at ${client.address} is a replication secondary: ${err.messages.join('; ')}. Set local = true or create it on the primary.`,
          attributePath('local'),
        );
        return null;
      }
      reportApiError(diagnostics, 'Cannot enable auth method', err, attributePath('path'));
      return null;
    }
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
    try {
      await client.delete(`sys/auth/${trimSlashes(stringValue(prior, 'path') ?? '')}`);
    } catch (err) {
      if (err instanceof ApiError && err.isNotFound) return;
      reportApiError(diagnostics, 'Cannot disable auth method', err);
    }
  }

  async importState(id: string): Promise<ObjectValue | null> {
    return objectFromEntries([['path', trimSlashes(id)]]);
  }
}
