import type { FerryClient, ReplicationStatus } from '../client/ferry-client.js';
import { StepFailure } from '../framework/client-resource.js';
import { attributePath, type Diagnostics } from '../framework/diagnostics.js';
import { requiresReplaceIf, useStateForUnknown } from '../framework/plan-modifiers.js';
import type { ModifyPlanRequest } from '../framework/resource.js';
import type { AttributeSchema, PlanModifierRequest, Schema } from '../framework/schema.js';
import { boolType, stringType } from '../framework/value-type.js';
import { objectFromEntries, type ObjectValue } from '../framework/values.js';
import { pollUntil } from './api-diagnostics.js';
import { boolValue, stringValue } from './attribute-values.js';
import type { FerryResource } from './ferry-client-binding.js';
import { findDataActivationWouldWipe } from './activation-wipe-check.js';
import type { FerryProviderData } from './provider-data.js';
import { drReplication, type ReplicationKind } from './replication-kind.js';

/** How long activation (wipe, bootstrap, first WAL stream) may take before apply gives up. */
const activationTimeoutMs = 120_000;

/**
 * Activation inputs the server cannot report back. An imported secondary records them as "" and keeps
 * whatever the configuration says from then on: they only matter when a cluster is activated.
 */
const activationInputs = ['token', 'primary_api_addr', 'ca_file', 'allow_wipe'] as const;
const isImported = (state: ObjectValue | null): boolean => state !== null && stringValue(state, 'token') === '';
const tokenChangeReplaces = (request: PlanModifierRequest): boolean => !isImported(request.priorState) && request.configValue !== '';

const drOperationTokenAttribute: AttributeSchema = {
  type: stringType,
  optional: true,
  sensitive: true,
  description:
    'A DR operation token, used only when this resource is destroyed: with it the DR secondary is disabled (Vault requires one); without it, destroying only removes the resource from the state and the cluster stays a DR secondary. Generate it on the DR secondary with `ferry operator generate-root -dr-token`; set it and apply before destroying. Changing it is recorded in place.',
};

function schemaFor(kind: ReplicationKind): Schema {
  const isDr = kind === drReplication;
  return {
    version: 0,
    block: {
      description:
        `Activates the target cluster (the provider's, or the one in the cluster block) as a ${kind.noun} secondary. Activation WIPES ALL DATA on that cluster; it is refused when the cluster holds more than a fresh cluster does unless allow_wipe = true. ` +
        (isDr
          ? 'A DR secondary answers no client request until it is promoted; promotion is an operator action (`ferry operator generate-root -dr-token`, then `ferry write sys/replication/dr/secondary/promote`), never a plan. '
          : '') +
        'Import with any ID, for example `secondary`.',
      attributes: {
        token: {
          type: stringType,
          required: true,
          sensitive: true,
          planModifiers: [requiresReplaceIf(tokenChangeReplaces, 'a new activation token re-activates the secondary')],
          description: `Activation token from ${kind.typePrefix}_secondary_token.`,
        },
        primary_api_addr: {
          type: stringType,
          optional: true,
          computed: true,
          default: '',
          description: "The primary's API address, when the token does not carry a usable one.",
        },
        ca_file: {
          type: stringType,
          optional: true,
          computed: true,
          default: '',
          description: "CA file the secondary uses to verify the primary's API during activation.",
        },
        allow_wipe: {
          type: boolType,
          optional: true,
          computed: true,
          default: false,
          description: 'Allow activating a cluster that holds secrets, mounts, auth methods or policies of its own (they are wiped).',
        },
        cluster_id: { type: stringType, computed: true, planModifiers: [useStateForUnknown()], description: 'The replication cluster ID.' },
        mode: { type: stringType, computed: true, planModifiers: [useStateForUnknown()], description: 'The replication mode, `secondary`.' },
        state: { type: stringType, computed: true, planModifiers: [useStateForUnknown()], description: 'Replication state, `stream-wals` when healthy.' },
        pre_wipe_snapshot: {
          type: stringType,
          computed: true,
          planModifiers: [useStateForUnknown()],
          description:
            'The snapshot of the cluster saved before activation wiped it (set when the server has `replication { pre_wipe_snapshot_dir }`), empty otherwise. Undo the activation: destroy, `ferry operator snapshot restore -force` the file, unseal with the old keys.',
        },
        ...(isDr ? { dr_operation_token: drOperationTokenAttribute } : {}),
      },
    },
  };
}

function statusState(status: ReplicationStatus): Array<[string, string]> {
  return [
    ['cluster_id', status.cluster_id ?? ''],
    ['mode', status.mode],
    ['state', status.state ?? ''],
  ];
}

/**
 * `ferry_replication_secondary` and `ferry_dr_secondary`: `<prefix>/secondary/enable` and `/disable` on the
 * target cluster. Vault's DR secondary disable needs a DR operation token (`dr_operation_token`).
 */
export class ReplicationSecondaryResource implements FerryResource {
  readonly operations;
  private readonly resourceSchema: Schema;

  constructor(private readonly kind: ReplicationKind) {
    this.operations = {
      create: { summary: `Cannot activate ${kind.noun} secondary`, path: attributePath('token') },
      read: { summary: `Cannot read ${kind.noun} status` },
      delete: { summary: `Cannot disable ${kind.noun} secondary` },
    };
    this.resourceSchema = schemaFor(kind);
  }

  metadata() {
    return { typeName: `${this.kind.typePrefix}_secondary` };
  }

  schema(): Schema {
    return this.resourceSchema;
  }

  modifyPlan({ provider, prior, planned }: ModifyPlanRequest<FerryProviderData>, diagnostics: Diagnostics): void {
    if (planned !== null && isImported(prior) && prior !== null) {
      for (const name of activationInputs) planned[name] = prior[name] ?? null;
    }
    // An imported ferry_replication_secondary_token reads as "": the activation we have stays valid.
    if (planned !== null && prior !== null && planned['token'] === '') planned['token'] = prior['token'] ?? null;
    if (planned !== null && prior === null) {
      const where = provider?.address ?? 'the target cluster';
      diagnostics.warning(
        `Activating a ${this.kind.noun} secondary wipes the target cluster`,
        `Applying this plan activates ${where} as a ${this.kind.noun} secondary: ALL DATA on that cluster (secrets, mounts, ` +
          'auth methods, policies, tokens) is deleted and replaced by what the primary replicates.' +
          (this.kind === drReplication ? ' From then on it answers no client request until it is promoted.' : ''),
        attributePath('token'),
      );
    }
    if (this.kind === drReplication && prior !== null && planned === null && !stringValue(prior, 'dr_operation_token')) {
      diagnostics.warning(
        'The DR secondary stays a DR secondary',
        'Disabling a DR secondary (sys/replication/dr/secondary/disable) requires a DR operation token, and this ferry_dr_secondary ' +
          'has no dr_operation_token: destroying it only removes it from the state. The cluster keeps refusing client requests ' +
          "until an operator disables or promotes it with a DR operation token (ferry operator generate-root -dr-token, with the primary's " +
          'unseal key shares). To disable it from Terraform instead, set dr_operation_token and apply before destroying.',
      );
    }
  }

  async create({ plan }: { plan: ObjectValue }, client: FerryClient, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const status = await this.kind.status(client);
    if (status.mode === 'secondary' || status.mode === 'primary') {
      diagnostics.error(
        `Cluster is already in ${this.kind.noun}`,
        `Ferry at ${client.address} is already a ${this.kind.noun} ${status.mode}. Import it (terraform import ... secondary) or disable replication there first.`,
      );
      return null;
    }
    if (boolValue(plan, 'allow_wipe') !== true) {
      const found = await findDataActivationWouldWipe(client);
      if (found.length > 0) {
        diagnostics.error(
          'Refusing to wipe a cluster that holds data',
          `Activating Ferry at ${client.address} as a secondary would delete what it holds beyond a fresh cluster: ` +
            `${found.slice(0, 10).join(', ')}${found.length > 10 ? `, and ${found.length - 10} more` : ''}. ` +
            'Set allow_wipe = true to activate it anyway.',
          attributePath('allow_wipe'),
        );
        return null;
      }
    }
    const body: Record<string, string> = { token: stringValue(plan, 'token') ?? '' };
    const apiAddr = stringValue(plan, 'primary_api_addr');
    const caFile = stringValue(plan, 'ca_file');
    if (apiAddr) body['primary_api_addr'] = apiAddr;
    if (caFile) body['ca_file'] = caFile;
    const enabled = await client.write(`${this.kind.apiPrefix}/secondary/enable`, body);
    const preWipeSnapshot = preWipeSnapshotOf(enabled);
    // The secondary is unavailable while it wipes and bootstraps; wait for the WAL stream.
    const result = await pollUntil(async () => {
      const status = await this.kind.status(client);
      return status.mode === 'secondary' && status.state === 'stream-wals' ? status : undefined;
    }, activationTimeoutMs);
    if ('timedOut' in result) {
      throw new StepFailure(
        `${this.kind.title} secondary did not start streaming`,
        result.lastError ?? new Error(`Ferry at ${client.address} did not reach mode "secondary", state "stream-wals" within ${activationTimeoutMs / 1000} s`),
      );
    }
    return objectFromEntries([
      ...activationInputs.map((n) => [n, plan[n] ?? null] as [string, ObjectValue[string]]),
      ...statusState(result.value),
      ['pre_wipe_snapshot', preWipeSnapshot],
      ...this.drOnly(plan),
    ]);
  }

  async read({ state }: { state: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    const status = await this.kind.status(client);
    if (status.mode !== 'secondary') return null; // no longer a secondary: the next plan activates it again
    return objectFromEntries([
      ...activationInputs.map((n) => [n, state[n] ?? null] as [string, ObjectValue[string]]),
      ...statusState(status),
      ['pre_wipe_snapshot', state['pre_wipe_snapshot'] ?? ''],
      ...this.drOnly(state),
    ]);
  }

  recordUpdate({ plan, prior }: { plan: ObjectValue; prior: ObjectValue }): ObjectValue {
    // Only activation inputs change in place; they are recorded, the running secondary is left alone.
    return objectFromEntries(Object.entries(plan).map(([k, v]) => [k, v === null && prior[k] !== undefined ? (prior[k] ?? null) : v]));
  }

  async delete({ prior }: { prior: ObjectValue }, client: FerryClient): Promise<void> {
    const status = await this.kind.status(client);
    if (status.mode !== 'secondary') return;
    if (this.kind !== drReplication) {
      await client.write(`${this.kind.apiPrefix}/secondary/disable`, {});
      return;
    }
    // Without a DR operation token the cluster cannot be disabled: it is only forgotten (the plan warned).
    const drOperationToken = stringValue(prior, 'dr_operation_token') ?? '';
    if (drOperationToken === '') return;
    await client.write(`${this.kind.apiPrefix}/secondary/disable`, { dr_operation_token: drOperationToken }, { authenticated: false });
  }

  async importState(): Promise<ObjectValue | null> {
    return objectFromEntries([
      ['token', ''],
      ['primary_api_addr', ''],
      ['ca_file', ''],
      ['allow_wipe', false],
      ['pre_wipe_snapshot', ''],
      ...this.drOnly(objectFromEntries([])),
    ]);
  }

  /** `dr_operation_token` as recorded in `object` (DR secondaries only). */
  private drOnly(object: ObjectValue): Array<[string, ObjectValue[string]]> {
    return this.kind === drReplication ? [['dr_operation_token', object['dr_operation_token'] ?? null]] : [];
  }
}

/** The pre-wipe snapshot file named in the activation's warnings ('' when none was saved). */
export function preWipeSnapshotOf(response: Record<string, unknown> | null): string {
  const warnings = Array.isArray(response?.['warnings']) ? (response['warnings'] as unknown[]) : [];
  for (const w of warnings) {
    const match = typeof w === 'string' ? /before the wipe was saved to (\S+\.snap)/.exec(w) : null;
    if (match !== null) return match[1] as string;
  }
  return '';
}
