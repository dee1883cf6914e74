import type { PathContext, PathDefinition } from '../../core/path-table.js';
import type { LogicalResponse } from '../../core/logical.js';
import { invalidRequest, notFound } from '../../core/vault-error.js';
import { applyMergePatch } from './json-merge-patch.js';
import { KeyLock } from './key-lock.js';
import {
  checkCas,
  configView,
  destroyVersions,
  metadataView,
  newKeyMetadata,
  parseCustomMetadata,
  parseVersionList,
  recordNewVersion,
  softDeleteVersions,
  undeleteVersions,
  versionState,
  versionView,
  type KvV2KeyMetadata,
} from './kv-v2-metadata.js';
import type { KvV2Store } from './kv-v2-store.js';
import { assertSecretPath, listPrefix } from './secret-path.js';

const INVALID_PATH_HINT =
  "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.";

/** The secret path captured by a pattern (never taken from the body). */
const secretPath = (ctx: PathContext): string => ctx.captures.path ?? '';

/** `version` from the body or, for GET, the query string; 0 = current. */
function requestedVersion(ctx: PathContext, name = 'version'): number {
  const raw = ctx.fields.has(name) ? ctx.fields.get(name) : ctx.req.query[name];
  if (raw === undefined || raw === '') return 0;
  const text = String(raw).trim();
  if (!/^\d+$/.test(text)) throw invalidRequest(`invalid value for field "${name}": expected int`);
  return Number(text);
}

/**
 * `options.cas`, when given, decoded as Vault's kv plugin does (a weak decode into an int: numbers,
 * numeric strings and bools). A value that does not decode gets Vault's own message; a negative
 * one decodes but can never match a version.
 */
function casOption(ctx: PathContext): number | undefined {
  const options = ctx.fields.map('options');
  const cas = options.cas;
  if (cas === undefined || cas === null) return undefined;
  if (typeof cas === 'number' && Number.isFinite(cas)) return Math.trunc(cas);
  if (typeof cas === 'boolean') return cas ? 1 : 0;
  if (typeof cas === 'string' && /^[+-]?\d{1,15}$/.test(cas)) return Number(cas);
  throw invalidRequest('error parsing check-and-set parameter');
}

function dataField(ctx: PathContext): Record<string, unknown> {
  if (!ctx.fields.has('data')) throw invalidRequest('no data provided');
  return ctx.fields.map('data');
}

/** The KV version 2 path table (relative to the mount). */
export function kvV2Paths(store: KvV2Store): PathDefinition[] {
  const lock = new KeyLock();
  const metaExists = async (ctx: PathContext): Promise<boolean> => {
    const path = secretPath(ctx);
    if (path === '' || path.endsWith('/')) return false;
    assertSecretPath(path);
    return (await store.readMetadata(path)) !== undefined;
  };
  const requireMetadata = async (path: string): Promise<KvV2KeyMetadata> => {
    const meta = await store.readMetadata(path);
    if (meta === undefined) throw notFound();
    return meta;
  };

  const writeVersion = (
    path: string,
    ctx: PathContext,
    compute: (existing: KvV2KeyMetadata | undefined) => Promise<Record<string, unknown>>,
  ): Promise<LogicalResponse> =>
    lock.run(path, async () => {
      const now = new Date();
      const config = await store.readConfig();
      const existing = await store.readMetadata(path);
      const data = await compute(existing);
      checkCas(existing, casOption(ctx), config);
      const meta = existing ?? newKeyMetadata(now);
      const { version, pruned } = recordNewVersion(meta, now, config);
      await store.commit(path, meta, { put: { version, data }, remove: pruned });
      return { data: versionView(meta, version) };
    });

  const versionsOp =
    (apply: (path: string, meta: KvV2KeyMetadata, versions: number[], now: Date) => Promise<void>) =>
    async (ctx: PathContext): Promise<LogicalResponse | undefined> => {
      const path = secretPath(ctx);
      assertSecretPath(path);
      const versions = parseVersionList(ctx.fields.list('versions'));
      await lock.run(path, async () => {
        const meta = await store.readMetadata(path);
        if (meta !== undefined) await apply(path, meta, versions, new Date());
      });
      return undefined;
    };

  const metadataUpdate =
    (isPatch: boolean) =>
    async (ctx: PathContext): Promise<LogicalResponse | undefined> => {
      const path = secretPath(ctx);
      assertSecretPath(path);
      const { fields } = ctx;
      if (fields.has('max_versions') && fields.int('max_versions') < 0) throw invalidRequest('max_versions must not be negative');
      const custom = fields.has('custom_metadata') ? fields.map('custom_metadata') : undefined;
      await lock.run(path, async () => {
        const now = new Date();
        const meta = (await store.readMetadata(path)) ?? newKeyMetadata(now);
        if (fields.has('max_versions')) meta.max_versions = fields.int('max_versions');
        if (fields.has('cas_required')) meta.cas_required = fields.bool('cas_required');
        if (fields.has('delete_version_after')) meta.delete_version_after_seconds = fields.seconds('delete_version_after');
        if (custom !== undefined) {
          const next = isPatch ? applyMergePatch(meta.custom_metadata ?? {}, custom) : custom;
          const parsed = parseCustomMetadata(next as Record<string, unknown>);
          meta.custom_metadata = Object.keys(parsed).length === 0 ? null : parsed;
        }
        meta.updated_time = now.toISOString();
        await store.commit(path, meta);
      });
      return undefined;
    };

  const versionsField = { versions: { type: 'string-list' } } as const;
  const metadataFields = {
    max_versions: { type: 'int' },
    cas_required: { type: 'bool' },
    delete_version_after: { type: 'duration' },
    custom_metadata: { type: 'map' },
  } as const;

  return [
    {
      pattern: 'config',
      fields: { max_versions: { type: 'int' }, cas_required: { type: 'bool' }, delete_version_after: { type: 'duration' } },
      operations: {
        read: async () => ({ data: configView(await store.readConfig()) }),
        update: async ({ fields }) => {
          if (fields.has('max_versions') && fields.int('max_versions') < 0) throw invalidRequest('max_versions must not be negative');
          const config = await store.readConfig();
          if (fields.has('max_versions')) config.max_versions = fields.int('max_versions');
          if (fields.has('cas_required')) config.cas_required = fields.bool('cas_required');
          if (fields.has('delete_version_after')) config.delete_version_after_seconds = fields.seconds('delete_version_after');
          await store.writeConfig(config);
          return undefined;
        },
      },
    },
    {
      pattern: 'data/(?<path>.+)',
      fields: { data: { type: 'map' }, options: { type: 'map' }, version: { type: 'int' } },
      exists: metaExists,
      operations: {
        read: async (ctx) => {
          const path = secretPath(ctx);
          assertSecretPath(path);
          const meta = await requireMetadata(path);
          const version = requestedVersion(ctx) || meta.current_version;
          const entry = meta.versions[String(version)];
          if (entry === undefined) throw notFound();
          if (versionState(entry, new Date()) !== 'live') {
            // Vault answers a deleted or destroyed version with 404 and its metadata, data null.
            return { httpStatus: 404, data: { data: null, metadata: versionView(meta, version) } };
          }
          const data = await store.readVersion(path, version);
          if (data === undefined) throw notFound();
          return { data: { data, metadata: versionView(meta, version) } };
        },
        update: async (ctx) => {
          const path = secretPath(ctx);
          assertSecretPath(path);
          const data = dataField(ctx);
          return writeVersion(path, ctx, async () => data);
        },
        patch: async (ctx) => {
          const path = secretPath(ctx);
          assertSecretPath(path);
          const patch = dataField(ctx);
          return writeVersion(path, ctx, async (meta) => {
            const entry = meta?.versions[String(meta.current_version)];
            if (meta === undefined || entry === undefined || versionState(entry, new Date()) !== 'live') throw notFound();
            const current = await store.readVersion(path, meta.current_version);
            if (current === undefined) throw notFound();
            return applyMergePatch(current, patch) as Record<string, unknown>;
          });
        },
        delete: async (ctx) => {
          const path = secretPath(ctx);
          assertSecretPath(path);
          await lock.run(path, async () => {
            const meta = await store.readMetadata(path);
            if (meta === undefined || meta.current_version === 0) return;
            softDeleteVersions(meta, [meta.current_version], new Date());
            await store.commit(path, meta);
          });
          return undefined;
        },
      },
    },
    {
      pattern: 'delete/(?<path>.+)',
      fields: versionsField,
      operations: { update: versionsOp(async (path, meta, versions, now) => (softDeleteVersions(meta, versions, now), store.commit(path, meta))) },
    },
    {
      pattern: 'undelete/(?<path>.+)',
      fields: versionsField,
      operations: { update: versionsOp(async (path, meta, versions, now) => (undeleteVersions(meta, versions, now), store.commit(path, meta))) },
    },
    {
      pattern: 'destroy/(?<path>.+)',
      fields: versionsField,
      operations: { update: versionsOp(async (path, meta, versions, now) => store.commit(path, meta, { remove: destroyVersions(meta, versions, now) })) },
    },
    {
      pattern: 'metadata(?:/(?<path>.*))?',
      fields: metadataFields,
      exists: metaExists,
      operations: {
        list: async (ctx) => {
          const keys = await store.list(listPrefix(secretPath(ctx)));
          if (keys.length === 0) throw notFound();
          return { data: { keys } };
        },
        read: async (ctx) => {
          const path = secretPath(ctx);
          assertSecretPath(path);
          return { data: metadataView(await requireMetadata(path)) };
        },
        update: metadataUpdate(false),
        patch: async (ctx) => {
          const path = secretPath(ctx);
          assertSecretPath(path);
          await requireMetadata(path);
          return metadataUpdate(true)(ctx);
        },
        delete: async (ctx) => {
          const path = secretPath(ctx);
          assertSecretPath(path);
          await lock.run(path, () => store.removeAll(path));
          return undefined;
        },
      },
    },
    {
      pattern: 'subkeys/(?<path>.+)',
      fields: { version: { type: 'int' }, depth: { type: 'int' } },
      operations: {
        read: async (ctx) => {
          const path = secretPath(ctx);
          assertSecretPath(path);
          const meta = await requireMetadata(path);
          const version = requestedVersion(ctx) || meta.current_version;
          const entry = meta.versions[String(version)];
          if (entry === undefined) throw notFound();
          if (versionState(entry, new Date()) !== 'live') return { httpStatus: 404, data: { subkeys: null, metadata: versionView(meta, version) } };
          const data = await store.readVersion(path, version);
          if (data === undefined) throw notFound();
          return { data: { subkeys: subkeysOf(data, requestedVersion(ctx, 'depth')), metadata: versionView(meta, version) } };
        },
      },
    },
    {
      // Anything else (for example a v1-style `kv/foo`): point the caller at the versioned API.
      pattern: '.*',
      operations: Object.fromEntries(
        (['read', 'create', 'update', 'delete', 'list', 'patch'] as const).map((op) => [op, async () => Promise.reject(notFound(INVALID_PATH_HINT))]),
      ),
    },
  ];
}

/** The key structure of a secret with leaf values replaced by null, down to `depth` levels (0 = all). */
export function subkeysOf(data: Record<string, unknown>, depth: number, level = 1): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    out[key] = isObject && (depth === 0 || level < depth) ? subkeysOf(value as Record<string, unknown>, depth, level + 1) : null;
  }
  return out;
}
