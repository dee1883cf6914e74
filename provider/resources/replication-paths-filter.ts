import type { FerryClient } from '../client/ferry-client.js';
import type { AttributePath, Diagnostics } from '../framework/diagnostics.js';
import { attributePath } from '../framework/diagnostics.js';
import { requiresReplace } from '../framework/plan-modifiers.js';
import type { ModifyPlanRequest } from '../framework/resource.js';
import type { Schema } from '../framework/schema.js';
import { setOf, stringType } from '../framework/value-type.js';
import { objectFromEntries, valuesEqual, type ObjectValue, type Value } from '../framework/values.js';
import { ignoringNotFound } from './api-diagnostics.js';
import { stringValue } from './attribute-values.js';
import type { FerryResource } from './ferry-client-binding.js';
import { nameValidator } from './path-validators.js';
import type { FerryProviderData } from './provider-data.js';

const normalizeMountPath = (path: string): string => path.replace(/^\/+|\/+$/g, '');

/** Vault's two filter modes: ship only the listed mounts, or everything but them. */
const filterModes = ['allow', 'deny'] as const;

function modeValidator(value: Value, path: AttributePath, diagnostics: Diagnostics): void {
  if (typeof value === 'string' && !(filterModes as readonly string[]).includes(value)) {
    diagnostics.error('Invalid mode', `"${value}" is not a paths filter mode: use "allow" or "deny".`, path);
  }
}

/** Mounts every cluster has of its own: not replicated mount data, so the server refuses to filter them. */
const builtInMounts = new Set(['sys', 'cubbyhole', 'identity', 'auth/token']);

function pathsValidator(value: Value, path: AttributePath, diagnostics: Diagnostics): void {
  if (!Array.isArray(value)) return;
  if (value.length === 0) diagnostics.error('Invalid paths', 'A paths filter needs at least one mount path.', path);
  for (const p of value) {
    if (typeof p !== 'string') continue;
    if (normalizeMountPath(p) === '' || /\s/.test(p)) {
      diagnostics.error('Invalid paths', `"${p}" is not a mount path: give it as "secret-eu" or "secret-eu/", without spaces.`, path);
    } else if (builtInMounts.has(normalizeMountPath(p))) {
      diagnostics.error('Invalid paths', `"${p}" is a built-in mount: it is not replicated mount data and cannot be filtered.`, path);
    }
  }
}

const schema: Schema = {
  version: 0,
  block: {
    description:
      'A paths filter on the performance primary for one performance secondary (sys/replication/performance/primary/paths-filter/<secondary_id>): ' +
      '`deny` keeps the listed mounts from ever reaching that secondary, `allow` ships only them. Changing mode or paths updates the filter in ' +
      'place (the primary removes newly filtered data from the secondary and ships newly allowed data); destroying it ships everything again. ' +
      'Import with the secondary ID.',
    attributes: {
      secondary_id: {
        type: stringType,
        required: true,
        validators: [nameValidator],
        planModifiers: [requiresReplace()],
        description: 'The ID of the performance secondary the filter applies to (the `secondary_id` of its ferry_replication_secondary_token).',
      },
      mode: {
        type: stringType,
        required: true,
        validators: [modeValidator],
        description: '`allow` (only these mounts travel) or `deny` (these mounts never travel).',
      },
      paths: {
        type: setOf(stringType),
        required: true,
        validators: [pathsValidator],
        description: 'Mount paths, for example `secret-eu/` (the trailing slash is optional).',
      },
    },
  },
};

const filterPath = (secondaryId: string): string => `sys/replication/performance/primary/paths-filter/${encodeURIComponent(secondaryId)}`;

/**
 * The server's paths, spelled as the prior state spelled them when they name the same mount (`secret-eu`
 * and `secret-eu/` are one mount: no drift), the server's spelling otherwise.
 */
export function pathsAsConfigured(serverPaths: readonly string[], priorPaths: Value | undefined): string[] {
  const prior = Array.isArray(priorPaths) ? priorPaths.filter((p): p is string => typeof p === 'string') : [];
  const byMount = new Map(prior.map((p) => [normalizeMountPath(p), p]));
  return serverPaths.map((p) => byMount.get(normalizeMountPath(p)) ?? p);
}

/** `ferry_replication_paths_filter`: write, read and delete `sys/replication/performance/primary/paths-filter/:id`. */
export class ReplicationPathsFilterResource implements FerryResource {
  readonly operations = {
    create: { summary: 'Cannot write paths filter', path: attributePath('paths') },
    read: { summary: 'Cannot read paths filter' },
    update: { summary: 'Cannot write paths filter', path: attributePath('paths') },
    delete: { summary: 'Cannot delete paths filter' },
  };

  metadata() {
    return { typeName: 'ferry_replication_paths_filter' };
  }

  schema(): Schema {
    return schema;
  }

  /** A filter written or changed makes the primary resync that secondary: say what it deletes there. */
  modifyPlan({ prior, planned }: ModifyPlanRequest<FerryProviderData>, diagnostics: Diagnostics): void {
    if (planned === null) return;
    if (
      prior !== null &&
      valuesEqual(prior['mode'] ?? null, planned['mode'] ?? null) &&
      valuesEqual(prior['paths'] ?? null, planned['paths'] ?? null, setOf(stringType))
    ) {
      return;
    }
    const id = stringValue(planned, 'secondary_id') ?? 'the secondary';
    diagnostics.warning(
      'The secondary resyncs under the new paths filter',
      `Applying this plan makes the primary resync secondary "${id}": data of mounts the filter now leaves out is deleted ` +
        'from that secondary (it stays on the primary), and data of newly allowed mounts is shipped to it.',
      attributePath('paths'),
    );
  }

  async create({ plan }: { plan: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    return await this.write(plan, client);
  }

  async update({ plan }: { plan: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    return await this.write(plan, client);
  }

  /** What the primary holds now: a filter changed outside Terraform shows as drift, a removed one as gone. */
  async read({ state }: { state: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    const id = stringValue(state, 'secondary_id') ?? '';
    const res = await client.read<{ data?: { mode?: unknown; paths?: unknown } }>(filterPath(id));
    const mode = res?.data?.mode;
    if (typeof mode !== 'string' || mode === '') return null;
    const paths = Array.isArray(res?.data?.paths) ? (res.data.paths as unknown[]).map(String) : [];
    return objectFromEntries([
      ['secondary_id', id],
      ['mode', mode],
      ['paths', pathsAsConfigured(paths, state['paths'])],
    ]);
  }

  async delete({ prior }: { prior: ObjectValue }, client: FerryClient): Promise<void> {
    await ignoringNotFound(() => client.delete(filterPath(stringValue(prior, 'secondary_id') ?? '')));
  }

  async importState(id: string): Promise<ObjectValue | null> {
    return objectFromEntries([['secondary_id', id]]);
  }

  private async write(plan: ObjectValue, client: FerryClient): Promise<ObjectValue> {
    const paths = Array.isArray(plan['paths']) ? plan['paths'] : [];
    await client.write(filterPath(stringValue(plan, 'secondary_id') ?? ''), { mode: stringValue(plan, 'mode'), paths });
    return plan;
  }
}
