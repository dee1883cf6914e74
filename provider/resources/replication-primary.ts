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

/** How long a cluster may stay unavailable while it becomes a primary. */
const enableTimeoutMs = 60_000;

const schema: Schema = {
  version: 0,
  block: {
    description: "Makes the target cluster (the provider's, or the one in the cluster block) a replication primary. Import with any ID, for example `primary`.",
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

function toState(status: ReplicationStatus): ObjectValue {
  return objectFromEntries([
    ['primary_cluster_addr', status.primary_cluster_addr ?? ''],
    ['cluster_id', status.cluster_id ?? ''],
    ['mode', status.mode],
  ]);
}

/** `ferry_replication_primary`: sys/replication/primary/enable and /disable, read from the status endpoint. */
export class ReplicationPrimaryResource implements FerryResource {
  readonly operations = {
    create: { summary: 'Cannot enable replication primary' },
    read: { summary: 'Cannot read replication status' },
    delete: { summary: 'Cannot disable replication primary' },
  };

  metadata() {
    return { typeName: 'ferry_replication_primary' };
  }

  schema(): Schema {
    return schema;
  }

  modifyPlan({ prior, planned }: ModifyPlanRequest<FerryProviderData>, diagnostics: Diagnostics): void {
    if (prior !== null && planned === null) {
      diagnostics.warning(
        'Disabling the replication primary',
        'Destroying ferry_replication_primary disables replication on this cluster. Existing secondaries can no ' +
          'longer connect and must be re-activated with new secondary tokens after a primary is enabled again ' +
          '(enabling again creates a new cluster ID).',
      );
    }
  }

  async create({ plan }: { plan: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    const addr = stringValue(plan, 'primary_cluster_addr');
    await client.write('sys/replication/primary/enable', addr ? { primary_cluster_addr: addr } : {});
    // The cluster is briefly unavailable while it switches mode.
    const result = await pollUntil(async () => {
      const status = await client.replicationStatus();
      return status.mode === 'primary' ? status : undefined;
    }, enableTimeoutMs);
    if ('timedOut' in result) {
      throw new StepFailure(
        'Replication primary did not come up',
        result.lastError ?? new Error(`Ferry at ${client.address} did not report mode "primary" within ${enableTimeoutMs / 1000} s`),
      );
    }
    return toState(result.value);
  }

  async read({ state }: { state: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    const status = await client.replicationStatus();
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
    const status = await client.replicationStatus();
    if (status.mode !== 'primary') return;
    await client.write('sys/replication/primary/disable', {});
  }

  async importState(): Promise<ObjectValue | null> {
    return objectFromEntries([]);
  }
}
