import { ApiError } from '../../server/api-client/api-error.js';
import type { FerryClient } from '../client/ferry-client.js';
import type { Diagnostics } from '../framework/diagnostics.js';
import { requiresReplaceIf, useStateForUnknown } from '../framework/plan-modifiers.js';
import type { ModifyPlanRequest } from '../framework/resource.js';
import type { PlanModifierRequest, Schema } from '../framework/schema.js';
import { stringType } from '../framework/value-type.js';
import { objectFromEntries, type ObjectValue } from '../framework/values.js';
import { stringValue } from './attribute-values.js';
import { nameValidator } from './path-validators.js';
import type { FerryResource } from './ferry-client-binding.js';
import type { FerryProviderData } from './provider-data.js';
import type { ReplicationKind } from './replication-kind.js';

/** An imported token has no token value (the server cannot reveal it); its creation inputs are then moot. */
const unlessImported = (request: PlanModifierRequest): boolean => stringValue(request.priorState, 'token') !== '';

function schemaFor(kind: ReplicationKind): Schema {
  return {
    version: 0,
    block: {
      description: `A ${kind.qualifier}secondary activation token minted on the primary for one secondary ID. Destroying it revokes the secondary. Import with the secondary ID (the token itself cannot be recovered and reads as "").`,
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
          description: `The activation token (a wrapping token) to pass to ${kind.typePrefix}_secondary.`,
        },
      },
    },
  };
}

/**
 * `ferry_replication_secondary_token` and `ferry_dr_secondary_token`: `<prefix>/primary/secondary-token` and
 * `/revoke-secondary` of the kind's API prefix.
 */
export class ReplicationSecondaryTokenResource implements FerryResource {
  readonly operations;
  private readonly resourceSchema: Schema;

  constructor(private readonly kind: ReplicationKind) {
    this.operations = {
      create: { summary: `Cannot create ${kind.qualifier}secondary token` },
      read: { summary: `Cannot read ${kind.qualifier}secondary token` },
      delete: { summary: `Cannot revoke ${kind.qualifier}secondary` },
    };
    this.resourceSchema = schemaFor(kind);
  }

  metadata() {
    return { typeName: `${this.kind.typePrefix}_secondary_token` };
  }

  schema(): Schema {
    return this.resourceSchema;
  }

  modifyPlan({ prior, planned }: ModifyPlanRequest<FerryProviderData>): void {
    if (prior !== null && planned !== null && stringValue(prior, 'token') === '') planned['ttl'] = prior['ttl'] ?? null;
  }

  async create({ plan }: { plan: ObjectValue }, client: FerryClient, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const id = stringValue(plan, 'secondary_id') ?? '';
    const res = await client.write<{ wrap_info?: { token?: string } }>(`${this.kind.apiPrefix}/primary/secondary-token`, {
      id,
      ttl: stringValue(plan, 'ttl') ?? '30m',
    });
    const token = res?.wrap_info?.token;
    if (typeof token !== 'string' || token === '') {
      diagnostics.error(this.operations.create.summary, `Ferry at ${client.address} answered without wrap_info.token.`);
      return null;
    }
    return objectFromEntries([
      ['secondary_id', id],
      ['ttl', stringValue(plan, 'ttl') ?? '30m'],
      ['token', token],
    ]);
  }

  /** Kept while the primary knows the secondary, or while the unused token is still valid. */
  async read({ state }: { state: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    const id = stringValue(state, 'secondary_id') ?? '';
    const token = stringValue(state, 'token') ?? '';
    const status = await this.kind.status(client);
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
  }

  recordUpdate({ plan }: { plan: ObjectValue }): ObjectValue {
    return plan;
  }

  async delete({ prior }: { prior: ObjectValue }, client: FerryClient): Promise<void> {
    try {
      const status = await this.kind.status(client);
      if (status.mode !== 'primary') return; // nothing left to revoke
      await client.write(`${this.kind.apiPrefix}/primary/revoke-secondary`, { id: stringValue(prior, 'secondary_id') });
    } catch (err) {
      if (err instanceof ApiError && (err.isNotFound || err.mentions('not found') || err.mentions('unknown secondary'))) return;
      throw err;
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
