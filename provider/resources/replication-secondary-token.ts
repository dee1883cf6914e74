import { ApiError } from '../client/api-error.js';
import type { Diagnostics } from '../framework/diagnostics.js';
import { requiresReplaceIf, useStateForUnknown } from '../framework/plan-modifiers.js';
import type { ModifyPlanRequest, Resource } from '../framework/resource.js';
import type { PlanModifierRequest, Schema } from '../framework/schema.js';
import { stringType } from '../framework/value-type.js';
import { objectFromEntries, type ObjectValue } from '../framework/values.js';
import { reportApiError } from './api-diagnostics.js';
import { stringValue } from './attribute-values.js';
import { nameValidator } from './path-validators.js';
import { requireClient, type FerryProviderData } from './provider-data.js';

/** An imported token has no token value (the server cannot reveal it); its creation inputs are then moot. */
const unlessImported = (request: PlanModifierRequest): boolean => stringValue(request.priorState, 'token') !== '';

const schema: Schema = {
  version: 0,
  block: {
    description:
      'A secondary activation token minted on the primary for one secondary ID. Destroying it revokes the secondary. Import with the secondary ID (the token itself cannot be recovered and reads as "").',
    attributes: {
      secondary_id: {
        type: stringType,
        required: true,
        validators: [nameValidator],
        planModifiers: [requiresReplaceIf(() => true, 'a new secondary ID needs a new token')],
        description: 'Opaque, unique ID of the secondary this token is for.',
      },
      ttl: {
        type: stringType,
        optional: true,
        computed: true,
        default: '30m',
        planModifiers: [requiresReplaceIf(unlessImported, 'a new TTL needs a new token')],
        description: 'How long the unused token stays valid (default `30m`).',
      },
      token: {
        type: stringType,
        computed: true,
        sensitive: true,
        planModifiers: [useStateForUnknown()],
        description: 'The activation token (a wrapping token) to pass to ferry_replication_secondary.',
      },
    },
  },
};

/** `ferry_replication_secondary_token`: sys/replication/primary/secondary-token and /revoke-secondary. */
export class ReplicationSecondaryTokenResource implements Resource<FerryProviderData> {
  metadata() {
    return { typeName: 'ferry_replication_secondary_token' };
  }

  schema(): Schema {
    return schema;
  }

  modifyPlan({ prior, planned }: ModifyPlanRequest<FerryProviderData>): void {
    if (prior !== null && planned !== null && stringValue(prior, 'token') === '') planned['ttl'] = prior['ttl'] ?? null;
  }

  async create({ plan }: { plan: ObjectValue }, provider: FerryProviderData, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const client = requireClient(provider, diagnostics, 'Cannot create secondary token');
    if (client === undefined) return null;
    const id = stringValue(plan, 'secondary_id') ?? '';
    try {
      const res = await client.write<{ wrap_info?: { token?: string } }>('sys/replication/primary/secondary-token', {
        id,
        ttl: stringValue(plan, 'ttl') ?? '30m',
      });
      const token = res?.wrap_info?.token;
      if (typeof token !== 'string' || token === '') {
        diagnostics.error('Cannot create secondary token', `Ferry at ${client.address} answered without wrap_info.token.`);
        return null;
      }
      return objectFromEntries([
        ['secondary_id', id],
        ['ttl', stringValue(plan, 'ttl') ?? '30m'],
        ['token', token],
      ]);
    } catch (err) {
      reportApiError(diagnostics, 'Cannot create secondary token', err);
      return null;
    }
  }

  /** Kept while the primary knows the secondary, or while the unused token is still valid. */
  async read({ state }: { state: ObjectValue }, provider: FerryProviderData, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const client = requireClient(provider, diagnostics, 'Cannot read secondary token');
    if (client === undefined) return null;
    const id = stringValue(state, 'secondary_id') ?? '';
    const token = stringValue(state, 'token') ?? '';
    try {
      const status = await client.replicationStatus();
      if (status.mode !== 'primary') return null;
      if ((status.known_secondaries ?? []).includes(id)) return state;
      if (token === '') return null;
      try {
        await client.write('sys/wrapping/lookup', { token }, { authenticated: false });
        return state;
      } catch (err) {
        if (err instanceof ApiError && err.status >= 400 && err.status < 500) return null; // used or expired
        throw err;
      }
    } catch (err) {
      reportApiError(diagnostics, 'Cannot read secondary token', err);
      return null;
    }
  }

  async update({ plan }: { plan: ObjectValue }): Promise<ObjectValue | null> {
    return plan;
  }

  async delete({ prior }: { prior: ObjectValue }, provider: FerryProviderData, diagnostics: Diagnostics): Promise<void> {
    const client = requireClient(provider, diagnostics, 'Cannot revoke secondary');
    if (client === undefined) return;
    try {
      const status = await client.replicationStatus();
      if (status.mode !== 'primary') return; // nothing left to revoke
      await client.write('sys/replication/primary/revoke-secondary', { id: stringValue(prior, 'secondary_id') });
    } catch (err) {
      if (err instanceof ApiError && (err.isNotFound || err.mentions('not found') || err.mentions('unknown secondary'))) return;
      reportApiError(diagnostics, 'Cannot revoke secondary', err);
    }
  }

  async importState(id: string): Promise<ObjectValue | null> {
    return objectFromEntries([
      ['secondary_id', id],
      ['ttl', '30m'],
      ['token', ''],
    ]);
  }
}
