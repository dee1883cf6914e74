import { SerialQueue } from '../storage/serial-queue.js';
import { randomBytes, randomUUID } from 'node:crypto';
import type { LogicalStorage } from './barrier.js';
import { layout } from './storage-layout.js';
import { invalidRequest } from './vault-error.js';

export type MountKind = 'mounts' | 'auth';

export interface MountConfig {
  default_lease_ttl: number;
  max_lease_ttl: number;
  force_no_cache?: boolean;
  listing_visibility?: string;
  audit_non_hmac_request_keys?: string[];
  audit_non_hmac_response_keys?: string[];
}

/** One row of a mount table, as stored (snake_case, Vault's names). */
export interface MountEntry {
  /** Path with trailing slash, without the `auth/` prefix for auth mounts. */
  path: string;
  type: string;
  description: string;
  accessor: string;
  uuid: string;
  local: boolean;
  seal_wrap: boolean;
  external_entropy_access: boolean;
  config: MountConfig;
  options: Record<string, string> | null;
  /** True for mounts the core provides itself (sys/, cubbyhole/, identity/, auth/token/). */
  builtin?: boolean;
}

const RESERVED_PREFIXES = ['sys/', 'auth/', 'cubbyhole/', 'identity/'];

/** Canonical mount path: no leading slash, one trailing slash; rejects `..`, empty segments and odd characters. */
export function normalizeMountPath(raw: string, kind: MountKind): string {
  let path = raw.trim();
  if (path.startsWith('/')) path = path.slice(1);
  if (path === '' || path === '/') throw invalidRequest('mount path cannot be empty');
  if (!path.endsWith('/')) path += '/';
  const segments = path.slice(0, -1).split('/');
  for (const segment of segments) {
    if (segment === '') throw invalidRequest(`invalid mount path "${raw}": empty path segment`);
    if (segment === '.' || segment === '..') throw invalidRequest(`invalid mount path "${raw}": path traversal is not allowed`);
    if (!/^[A-Za-z0-9_.\-@]+$/.test(segment)) throw invalidRequest(`invalid mount path "${raw}": unsupported characters`);
  }
  if (kind === 'mounts') {
    for (const reserved of RESERVED_PREFIXES) {
      if (path.startsWith(reserved)) throw invalidRequest(`cannot mount under reserved path "${reserved}"`);
    }
  } else if (path === 'token/') {
    throw invalidRequest('token credential backend cannot be instantiated');
  }
  return path;
}

export function newMountEntry(
  kind: MountKind,
  fields: { path: string; type: string; description: string; local: boolean; sealWrap: boolean; config: MountConfig; options: Record<string, string> | null },
): MountEntry {
  const prefix = kind === 'auth' ? 'auth' : fields.type.replace(/[^a-z0-9]/gi, '');
  return {
    path: fields.path,
    type: fields.type,
    description: fields.description,
    accessor: `${prefix}_${randomBytes(4).toString('hex')}`,
    uuid: randomUUID(),
    local: fields.local,
    seal_wrap: fields.sealWrap,
    external_entropy_access: false,
    config: fields.config,
    options: fields.options,
  };
}

/**
 * A mount table (secrets engines or auth methods), kept as two stored lists: replicated entries
 * and local ones, so replication tells them apart by key alone.
 */
export class MountTable {
  private entries: MountEntry[] = [];
  /**
   * Every change is a read-modify-write of the stored list, and a reload replaces the in-memory
   * copy: one at a time, or two mounts enabled together lose one (regression: terraform creating
   * two local mounts in parallel on a secondary), and a reload racing a change brings back a stale list.
   */
  private readonly changes = new SerialQueue();

  constructor(
    readonly kind: MountKind,
    private readonly storage: LogicalStorage,
    private readonly builtins: readonly MountEntry[],
  ) {}

  load(): Promise<void> {
    return this.changes.run(() => this.loadNow());
  }

  private async loadNow(): Promise<void> {
    const replicated = await this.readList(false);
    const local = await this.readList(true);
    this.entries = [...this.builtins, ...replicated, ...local];
  }

  all(): readonly MountEntry[] {
    return this.entries;
  }

  get(path: string): MountEntry | undefined {
    return this.entries.find((e) => e.path === path);
  }

  /** Longest mount whose path prefixes `path`. */
  match(path: string): MountEntry | undefined {
    let best: MountEntry | undefined;
    for (const entry of this.entries) {
      if ((path === entry.path.slice(0, -1) || path.startsWith(entry.path)) && (best === undefined || entry.path.length > best.path.length)) best = entry;
    }
    return best;
  }

  /** Refuses a path that equals, contains or is contained by an existing mount. */
  assertNoConflict(path: string): void {
    for (const entry of this.entries) {
      if (entry.path.startsWith(path) || path.startsWith(entry.path)) {
        throw invalidRequest(`path is already in use at ${entry.path}`);
      }
    }
  }

  dataPrefix(entry: MountEntry): string {
    return this.kind === 'auth' ? layout.authData(entry.uuid, entry.local) : layout.mountData(entry.uuid, entry.local);
  }

  add(entry: MountEntry): Promise<void> {
    return this.changes.run(async () => {
      await this.loadNow();
      this.assertNoConflict(entry.path);
      const list = (await this.readList(entry.local)).concat(entry);
      await this.storage.put(this.tableKey(entry.local), Buffer.from(JSON.stringify(list)));
      await this.loadNow();
    });
  }

  update(entry: MountEntry): Promise<void> {
    return this.changes.run(async () => {
      const list = (await this.readList(entry.local)).map((e) => (e.uuid === entry.uuid ? entry : e));
      await this.storage.put(this.tableKey(entry.local), Buffer.from(JSON.stringify(list)));
      await this.loadNow();
    });
  }

  /** Removes the entry and all of its data in one transaction. */
  remove(entry: MountEntry): Promise<void> {
    return this.changes.run(async () => {
      const list = (await this.readList(entry.local)).filter((e) => e.uuid !== entry.uuid);
      await this.storage.transaction([
        { op: 'put', key: this.tableKey(entry.local), value: Buffer.from(JSON.stringify(list)) },
        { op: 'delete-prefix', prefix: this.dataPrefix(entry) },
      ]);
      await this.loadNow();
    });
  }

  tableKey(local: boolean): string {
    return this.kind === 'auth' ? layout.authTable(local) : layout.mountTable(local);
  }

  private async readList(local: boolean): Promise<MountEntry[]> {
    const raw = await this.storage.get(this.tableKey(local));
    return raw === undefined ? [] : (JSON.parse(raw.toString('utf8')) as MountEntry[]);
  }
}
