import { ApiError } from '../api-client/api-error.js';
import type { VaultClient } from '../api-client/vault-client.js';
import type { JsonObject } from '../api-client/vault-envelope.js';
import type { ParsedArgs } from './args.js';
import { callApi } from './command.js';
import { formatTable, formatValue, type Printer, type TableRow } from './output.js';

/** Where a `kv` command's path lives: its mount, the rest of the path, and the KV version of the mount. */
export interface KvTarget {
  readonly mount: string;
  readonly secretPath: string;
  readonly version: 1 | 2;
  /** The API path for a v2 sub-tree (`data`, `metadata`, `delete`, ...); the plain path on v1. */
  apiPath(segment: string): string;
}

/**
 * Resolves a `kv` path as Vault's CLI does: `-mount=M PATH` or `M/PATH`, the mount found in `sys/mounts`
 * (longest prefix) and its `options.version` deciding between v1 and v2.
 */
export async function resolveKvTarget(client: VaultClient, args: ParsedArgs, given: string): Promise<KvTarget> {
  const explicitMount = args.string('mount');
  const full = (explicitMount === undefined ? given : `${explicitMount.replace(/\/+$/, '')}/${given}`).replace(/^\/+/, '');
  let response: JsonObject | null;
  try {
    response = await client.request('GET', 'sys/mounts');
  } catch (err) {
    // A token allowed only on the secret itself may not read the mount table: probe the v2 layout.
    if (err instanceof ApiError && err.status === 403) return probeKvTarget(client, full);
    return callApi('Error determining the secrets engine of the path', () => Promise.reject(err));
  }
  const mounts = (response?.data ?? response ?? {}) as Record<string, JsonObject>;
  let mount = '';
  for (const candidate of Object.keys(mounts)) {
    if (candidate.endsWith('/') && `${full}/`.startsWith(candidate) && candidate.length > mount.length) mount = candidate;
  }
  if (mount === '') mount = `${full.split('/')[0] ?? ''}/`;
  const options = (mounts[mount]?.options ?? {}) as JsonObject;
  const version = String(options.version ?? '1') === '2' ? 2 : 1;
  return kvTarget(mount, full.slice(mount.length), version);
}

function kvTarget(mount: string, secretPath: string, version: 1 | 2): KvTarget {
  return { mount, secretPath, version, apiPath: (segment) => (version === 2 ? `${mount}${segment}/${secretPath}` : `${mount}${secretPath}`) };
}

/**
 * Without access to `sys/mounts`: the first segment is the mount, and it is KV v2 when reading the
 * path through `data/` answers a v2 body (`data.metadata`); otherwise v1 is assumed.
 */
async function probeKvTarget(client: VaultClient, full: string): Promise<KvTarget> {
  const slash = full.indexOf('/');
  const mount = slash === -1 ? `${full}/` : full.slice(0, slash + 1);
  const secretPath = slash === -1 ? '' : full.slice(slash + 1);
  try {
    const probe = await client.request('GET', `${mount}data/${secretPath}`, { allowNotFound: true });
    const data = probe?.data as JsonObject | null | undefined;
    if (data !== null && data !== undefined && typeof data.metadata === 'object') return kvTarget(mount, secretPath, 2);
  } catch {
    // Not readable through data/: fall back to v1.
  }
  return kvTarget(mount, secretPath, 1);
}

/** Vault's section title: the text between runs of `=` as wide as the table under it. */
export function sectionTitle(title: string, width: number): string {
  const pad = Math.max(2, Math.floor((width - title.length - 2) / 2));
  return `${'='.repeat(pad)} ${title} ${'='.repeat(pad)}`;
}

function rowsOf(object: JsonObject): TableRow[] {
  return Object.keys(object)
    .sort()
    .map((key) => {
      const value = object[key];
      return [key, value === '' ? 'n/a' : formatValue(value)] as const;
    });
}

/** Prints one titled `Key Value` table, as `vault kv get` does for each part of a v2 secret. */
export function printSection(printer: Printer, title: string, object: JsonObject): void {
  const table = formatTable(rowsOf(object));
  const width = Math.max(...table.split('\n').map((line) => line.length));
  printer.out(`${sectionTitle(title, width)}\n${table}`);
}

/** `== Secret Path ==` and the API path, the first block of `vault kv get/put` on v2. */
export function printPathHeader(printer: Printer, title: string, apiPath: string): void {
  printer.out(`${sectionTitle(title, title.length + 6)}\n${apiPath}\n\n`);
}
