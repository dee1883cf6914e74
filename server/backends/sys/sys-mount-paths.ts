import type { Core } from '../../core/core.js';
import type { FieldData } from '../../core/field-data.js';
import { newMountEntry, normalizeMountPath, type MountEntry, type MountKind, type MountTable } from '../../core/mount-table.js';
import type { PathDefinition } from '../../core/path-table.js';
import { invalidRequest, notFound } from '../../core/vault-error.js';

const NON_LOCAL_ON_SECONDARY = 'cannot add a non-local mount to a replication secondary';

/** The JSON shape Vault returns for one mount-table row. */
export function mountView(entry: MountEntry): Record<string, unknown> {
  return {
    accessor: entry.accessor,
    config: {
      default_lease_ttl: entry.config.default_lease_ttl,
      max_lease_ttl: entry.config.max_lease_ttl,
      force_no_cache: entry.config.force_no_cache ?? false,
    },
    description: entry.description,
    external_entropy_access: entry.external_entropy_access,
    local: entry.local,
    options: entry.options,
    seal_wrap: entry.seal_wrap,
    type: entry.type,
    uuid: entry.uuid,
    plugin_version: '',
    running_plugin_version: '',
    running_sha256: '',
  };
}

const mountFields = {
  type: { type: 'string' },
  description: { type: 'string' },
  config: { type: 'map' },
  options: { type: 'map' },
  local: { type: 'bool' },
  seal_wrap: { type: 'bool' },
  external_entropy_access: { type: 'bool' },
  plugin_name: { type: 'string' },
  plugin_version: { type: 'string' },
} as const;

function ttlFromConfig(config: Record<string, unknown>, name: string): number {
  const value = config[name];
  if (value === undefined || value === null || value === '' || value === 'system') return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const m = /^(\d+)(s|m|h|d)?$/.exec(value.trim());
    if (m) return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  }
  throw invalidRequest(`invalid value for config.${name}`);
}

function stringOptions(raw: Record<string, unknown>): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw invalidRequest(`invalid value for options.${k}: expected a string`);
    out[k] = String(v);
  }
  return Object.keys(out).length === 0 ? null : out;
}

async function enableMount(core: Core, kind: MountKind, table: MountTable, rawPath: string, fields: FieldData): Promise<void> {
  const path = normalizeMountPath(rawPath, kind);
  const type = fields.string('type') || fields.string('plugin_name');
  if (type === '') throw invalidRequest('backend type must be specified as a string');
  const local = fields.bool('local');
  const config = fields.map('config');
  let options = stringOptions(fields.map('options'));
  if (type === 'kv-v2') options = { ...(options ?? {}), version: '2' };
  // `generic` is Vault's old name for KV (its mount aliases): the mount is a kv mount.
  const mountType = type === 'kv-v2' || (type === 'generic' && kind === 'mounts') ? 'kv' : type;
  if (!core.hasBackendType(mountType)) throw invalidRequest(`plugin not found in the catalog: ${type}`);
  const mode = core.replication.mode();
  if (!local && mode === 'secondary') throw invalidRequest(NON_LOCAL_ON_SECONDARY);
  if (kind === 'mounts' && mountType === 'kv' && options?.version === undefined) options = { ...(options ?? {}), version: '1' };
  table.assertNoConflict(path);
  const entry = newMountEntry(kind, {
    path,
    type: mountType,
    description: fields.string('description'),
    local,
    sealWrap: fields.bool('seal_wrap'),
    config: { default_lease_ttl: ttlFromConfig(config, 'default_lease_ttl'), max_lease_ttl: ttlFromConfig(config, 'max_lease_ttl') },
    options,
  });
  await table.add(entry);
  await core.reloadMounts();
}

async function disableMount(core: Core, kind: MountKind, table: MountTable, rawPath: string): Promise<void> {
  const path = normalizeMountPath(rawPath, kind);
  const entry = table.get(path);
  if (entry === undefined) return;
  if (entry.builtin) throw invalidRequest(`cannot unmount "${path}"`);
  if (!entry.local && core.replication.mode() === 'secondary') throw invalidRequest('cannot unmount a non-local mount on a replication secondary');
  await table.remove(entry);
  await core.reloadMounts();
}

/** A mount the paths filter of this (secondary) cluster's primary leaves out: hidden from listings and reads, as in Vault. */
function isFiltered(core: Core, table: MountTable, entry: MountEntry): boolean {
  const filtered = core.replication.filteredMounts?.();
  return filtered !== undefined && filtered.size > 0 && filtered.has((table.kind === 'auth' ? 'auth/' : '') + entry.path);
}

function tableView(core: Core, table: MountTable): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const entry of table.all()) if (!isFiltered(core, table, entry)) out[entry.path] = mountView(entry);
  return out;
}

/** `sys/mounts`, `sys/mounts/:path`, `sys/mounts/:path/tune`, `sys/remount` and `sys/auth` equivalents. */
export function mountPaths(core: Core): PathDefinition[] {
  const tunePaths = (kind: MountKind, base: string, table: () => MountTable): PathDefinition => ({
    pattern: `${base}/(?<path>.+?)/tune`,
    fields: {
      default_lease_ttl: { type: 'raw' },
      max_lease_ttl: { type: 'raw' },
      description: { type: 'string' },
      options: { type: 'map' },
      local: { type: 'raw' },
      listing_visibility: { type: 'string' },
    },
    operations: {
      read: async ({ captures }) => {
        const entry = table().get(normalizeMountPath(captures.path as string, kind));
        if (entry === undefined) throw invalidRequest(`cannot fetch sysview for path "${captures.path}"`);
        return {
          data: {
            default_lease_ttl: entry.config.default_lease_ttl || 2764800,
            max_lease_ttl: entry.config.max_lease_ttl || 2764800,
            description: entry.description,
            force_no_cache: false,
            options: entry.options,
          },
          injectDataAtTopLevel: true,
        };
      },
      update: async ({ captures, fields }) => {
        const entry = table().get(normalizeMountPath(captures.path as string, kind));
        if (entry === undefined) throw invalidRequest(`cannot tune "${captures.path}": no mount at that path`);
        if (fields.has('local')) throw invalidRequest('local can only be set at mount time');
        if (!entry.local && core.replication.mode() === 'secondary') throw invalidRequest('cannot tune a non-local mount on a replication secondary');
        const updated: MountEntry = structuredClone(entry);
        const raw = { default_lease_ttl: fields.get('default_lease_ttl'), max_lease_ttl: fields.get('max_lease_ttl') };
        if (raw.default_lease_ttl !== undefined) updated.config.default_lease_ttl = ttlFromConfig(raw, 'default_lease_ttl');
        if (raw.max_lease_ttl !== undefined) updated.config.max_lease_ttl = ttlFromConfig(raw, 'max_lease_ttl');
        if (fields.has('description')) updated.description = fields.string('description');
        if (fields.has('options')) {
          const opts = stringOptions(fields.map('options'));
          if (
            entry.type === 'kv' &&
            opts?.version !== undefined &&
            opts.version !== (entry.options?.version ?? '1') &&
            !(entry.options?.version === '1' && opts.version === '2')
          ) {
            throw invalidRequest('cannot downgrade the KV version of a mount');
          }
          updated.options = { ...(entry.options ?? {}), ...(opts ?? {}) };
        }
        if (updated.config.max_lease_ttl > 0 && updated.config.default_lease_ttl > updated.config.max_lease_ttl) {
          throw invalidRequest('default lease TTL cannot be greater than max lease TTL');
        }
        if (entry.builtin) throw invalidRequest(`cannot tune built-in mount "${entry.path}"`);
        await table().update(updated);
        return {};
      },
    },
  });

  return [
    tunePaths('mounts', 'mounts', () => core.mounts),
    tunePaths('auth', 'auth', () => core.auths),
    {
      pattern: 'mounts',
      operations: { read: async () => ({ data: tableView(core, core.mounts), injectDataAtTopLevel: true }) },
    },
    {
      pattern: 'mounts/(?<path>.+)',
      fields: mountFields,
      operations: {
        read: async ({ captures }) => {
          const entry = core.mounts.get(normalizeMountPath(captures.path as string, 'mounts'));
          if (entry === undefined || isFiltered(core, core.mounts, entry)) throw notFound();
          return { data: mountView(entry), injectDataAtTopLevel: true };
        },
        update: async ({ captures, fields }) => {
          await enableMount(core, 'mounts', core.mounts, captures.path as string, fields);
          return {};
        },
        delete: async ({ captures }) => {
          await disableMount(core, 'mounts', core.mounts, captures.path as string);
          return {};
        },
      },
    },
    {
      pattern: 'auth',
      operations: { read: async () => ({ data: tableView(core, core.auths), injectDataAtTopLevel: true }) },
    },
    {
      pattern: 'auth/(?<path>.+)',
      fields: mountFields,
      operations: {
        read: async ({ captures }) => {
          const entry = core.auths.get(normalizeMountPath(captures.path as string, 'auth'));
          if (entry === undefined || isFiltered(core, core.auths, entry)) throw notFound();
          return { data: mountView(entry), injectDataAtTopLevel: true };
        },
        update: async ({ captures, fields }) => {
          await enableMount(core, 'auth', core.auths, captures.path as string, fields);
          return {};
        },
        delete: async ({ captures }) => {
          await disableMount(core, 'auth', core.auths, captures.path as string);
          return {};
        },
      },
    },
    {
      pattern: 'remount',
      fields: { from: { type: 'string', required: true }, to: { type: 'string', required: true } },
      operations: {
        update: async ({ fields }) => {
          const fromAuth = fields.string('from').startsWith('auth/');
          const kind: MountKind = fromAuth ? 'auth' : 'mounts';
          const table = fromAuth ? core.auths : core.mounts;
          const from = normalizeMountPath(fields.string('from').replace(/^auth\//, ''), kind);
          const to = normalizeMountPath(fields.string('to').replace(/^auth\//, ''), kind);
          const entry = table.get(from);
          if (entry === undefined || entry.builtin) throw invalidRequest(`no matching mount at "${from}"`);
          if (!entry.local && core.replication.mode() === 'secondary') throw invalidRequest('cannot remount a non-local mount on a replication secondary');
          table.assertNoConflict(to);
          await table.update({ ...entry, path: to });
          await core.reloadMounts();
          return { data: { migration_id: entry.uuid } };
        },
      },
    },
  ];
}
