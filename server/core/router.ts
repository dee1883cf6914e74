import type { Logger } from 'pino';
import type { LogicalBackend } from './logical-backend.js';
import type { MountEntry, MountTable } from './mount-table.js';

/** Where a request path is served: the mount, the path below it and the backend. */
export interface Route {
  readonly entry: MountEntry;
  readonly mountPath: string;
  readonly relativePath: string;
  readonly backend: LogicalBackend;
}

/** A live backend and the storage prefix its view writes under (what invalidation matches on). */
export interface MountedBackend {
  readonly backend: LogicalBackend;
  readonly storagePrefix: string;
}

/** Creates the backend of a mount entry (`routePrefix` is `''` or `'auth/'`); undefined when no factory serves it. */
type MountBackendCreator = (entry: MountEntry, table: MountTable, routePrefix: string) => MountedBackend | undefined;

/**
 * The live backends of both mount tables, by mount uuid: routes a request path to its mount and
 * backend, keeps the set in step with the tables, and hands storage invalidations to the
 * backend whose view holds the key.
 */
export class Router {
  private readonly backends = new Map<string, MountedBackend>();

  constructor(
    private readonly mounts: MountTable,
    private readonly auths: MountTable,
    private readonly logger: Logger,
  ) {}

  /** Creates backends for new entries of both (already loaded) tables and cleans up removed ones. */
  async reconcile(create: MountBackendCreator): Promise<void> {
    const live = new Set<string>();
    for (const [table, prefix] of [
      [this.mounts, ''],
      [this.auths, 'auth/'],
    ] as const) {
      for (const entry of table.all()) {
        live.add(entry.uuid);
        if (this.backends.has(entry.uuid)) continue;
        const mounted = create(entry, table, prefix);
        if (mounted === undefined) {
          this.logger.warn({ path: prefix + entry.path, type: entry.type }, 'no backend for mount type');
          continue;
        }
        this.backends.set(entry.uuid, mounted);
      }
    }
    for (const [uuid, mounted] of this.backends) {
      if (!live.has(uuid)) {
        await this.cleanup(mounted);
        this.backends.delete(uuid);
      }
    }
  }

  /** The mount (and its backend) serving a request path. */
  route(path: string): Route | undefined {
    const isAuth = path.startsWith('auth/');
    const table = isAuth ? this.auths : this.mounts;
    const inner = isAuth ? path.slice('auth/'.length) : path;
    const entry = table.match(inner);
    if (entry === undefined) return undefined;
    const mounted = this.backends.get(entry.uuid);
    if (mounted === undefined) return undefined;
    const relativePath = inner === entry.path.slice(0, -1) ? '' : inner.slice(entry.path.length);
    return { entry, mountPath: (isAuth ? 'auth/' : '') + entry.path, relativePath, backend: mounted.backend };
  }

  backendOf(uuid: string): LogicalBackend | undefined {
    return this.backends.get(uuid)?.backend;
  }

  /**
   * Tells each backend which of its keys changed underneath it, relative to its storage view (a key
   * ending in `/` is a prefix and `''` is everything: a changed subtree holding the whole view reaches the
   * backend as `''`).
   */
  async invalidate(keys: readonly string[]): Promise<void> {
    for (const { backend, storagePrefix } of this.backends.values()) {
      if (backend.invalidate === undefined) continue;
      for (const key of keys) {
        if (key.startsWith(storagePrefix)) await backend.invalidate(key.slice(storagePrefix.length));
        else if ((key === '' || key.endsWith('/')) && storagePrefix.startsWith(key)) await backend.invalidate('');
      }
    }
  }

  /** Cleans up and drops every backend (on seal). */
  async clear(): Promise<void> {
    for (const mounted of this.backends.values()) await this.cleanup(mounted);
    this.backends.clear();
  }

  private async cleanup(mounted: MountedBackend): Promise<void> {
    await mounted.backend.cleanup?.().catch((err: unknown) => this.logger.warn({ err: String(err) }, 'backend cleanup failed'));
  }
}
