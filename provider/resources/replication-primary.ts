import type { FerryClient, ReplicationStatus } from '../client/ferry-client.js';
import { StepFailure } from '../framework/client-resource.js';
import type { Diagnostics } from '../framework/diagnostics.js';
import { requiresReplace, useStateForUnknown } from '../framework/plan-modifiers.js';
import type { ModifyPlanRequest } from '../framework/resource.js';
import type { Schema } from '../framework/schema.js';
import { stringType } from '../framework/value-type.js';
import { objectFromEntries, type ObjectValue } from '../framework/values.js';
import { pollUntil } from './api-diagnostics.js';
import { stringValue } from './attribute-values.js';
import type { FerryResource } from './ferry-client-binding.js';
import type { FerryProviderData } from './provider-data.js';
import type { ReplicationKind } from './replication-kind.js';

/** How long a cluster may stay unavailable while it becomes a primary. */
const enableTimeoutMs = 60_000;

function schemaFor(kind: ReplicationKind): Schema {
  return {
    version: 0,
    block: {
      description: `Makes the target cluster (the provider's, or the one in the cluster block) a ${kind.noun} primary. Import with any ID, for example \`primary\`.`,
      attributes: {
        primary_cluster_addr: {
          type: stringType,
          optional: true,
          computed: true,
          planModifiers: [useStateForUnknown(), requiresReplace()],
          description: "Cluster address given to secondaries (default: the server's own cluster address).",
        },
        cluster_id: { type: stringType, computed: true, planModifiers: [useStateForUnknown()], description: 'The replication cluster ID.' },
        mode: { type: stringType, computed: true, planModifiers: [useStateForUnknown()], description: 'The replication mode, `primary`.' },
      },
    },
  };
}

function toState(status: ReplicationStatus): ObjectValue {
  return objectFromEntries([
    ['primary_cluster_addr', status.primary_cluster_addr ?? ''],
    ['cluster_id', status.cluster_id ?? ''],
    ['mode', status.mode],
  ]);
}

/**
 * `ferry_replication_primary` (sys/replication/primary/…) and `ferry_dr_primary` (sys/replication/dr/primary/…):
 * enable and disable, read from the kind's status endpoint.
 */
export class ReplicationPrimaryResource implements FerryResource {
  readonly operations;
  private readonly resourceSchema: Schema;

  constructor(private readonly kind: ReplicationKind) {
    this.operations = {
      create: { summary: `Cannot enable ${kind.noun} primary` },
      read: { summary: `Cannot read ${kind.noun} status` },
      delete: { summary: `Cannot disable ${kind.noun} primary` },
    };
    this.resourceSchema = schemaFor(kind);
  }

  metadata() {
    return { typeName: `${this.kind.typePrefix}_primary` };
  }

  schema(): Schema {
    return this.resourceSchema;
  }

  modifyPlan({ prior, planned }: ModifyPlanRequest<FerryProviderData>, diagnostics: Diagnostics): void {
    if (prior !== null && planned === null) {
      diagnostics.warning(
        `Disabling the ${this.kind.noun} primary`,
        `Destroying ${this.kind.typePrefix}_primary disables ${this.kind.noun} on this cluster. Existing secondaries can no ` +
          'longer connect and must be re-activated with new secondary tokens after a primary is enabled again ' +
          '(enabling again creates a new cluster ID).',
      );
    }
  }

  async create({ plan }: { plan: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    const addr = stringValue(plan, 'primary_cluster_addr');
    await client.write(`${this.kind.apiPrefix}/primary/enable`, addr ? { primary_cluster_addr: addr } : {});
    // The cluster is briefly unavailable while it switches mode.
    const result = await pollUntil(async () => {
      const status = await this.kind.status(client);
      return status.mode === 'primary' ? status : undefined;
    }, enableTimeoutMs);
    if ('timedOut' in result) {
      throw new StepFailure(
        `${this.kind.title} primary did not come up`,
        result.lastError ?? new Error(`Ferry at ${client.address} did not report mode "primary" within ${enableTimeoutMs / 1000} s`),
      );
    }
    return toState(result.value);
  }

  async read({ state }: { state: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    const status = await this.kind.status(client);
    if (status.mode !== 'primary') return null; // disabled out of band: plan to enable again
    const next = toState(status);
    const priorAddr = stringValue(state, 'primary_cluster_addr');
    if (priorAddr !== null && priorAddr !== '' && (status.primary_cluster_addr ?? '') === '') next['primary_cluster_addr'] = priorAddr;
    return next;
  }

  recordUpdate({ plan }: { plan: ObjectValue }): ObjectValue {
    return plan; // primary_cluster_addr replaces; the computed attributes never change in place
  }

  async delete(_request: { prior: ObjectValue }, client: FerryClient): Promise<void> {
    const status = await this.kind.status(client);
    if (status.mode !== 'primary') return;
    await client.write(`${this.kind.apiPrefix}/primary/disable`, {});
  }

  async importState(): Promise<ObjectValue | null> {
    return objectFromEntries([]);
  }
}
