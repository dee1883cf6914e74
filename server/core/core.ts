import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { StorageBackend } from '../storage/backend.js';
import { Acl, aclPathOf } from './acl.js';
import { noAudit, type AuditBroker } from './audit-broker.js';
import { Barrier, KEYRING_PATH, StorageView } from './barrier.js';
import type { LogicalBackend } from './logical-backend.js';
import { matchesPathGlob } from './logical-backend.js';
import type { LogicalRequest, LogicalResponse, RequestAuth } from './logical.js';
import { builtinAuths, builtinMounts } from './builtin-mounts.js';
import { IdentityStore } from './identity-store.js';
import { MountTable, type MountEntry } from './mount-table.js';
import type { PathDefinition } from './path-table.js';
import { PolicyStore } from './policy-store.js';
import type { Policy } from './policy.js';
import { replicationDisabled, type ReplicationView } from './replication-role.js';
import { Seal } from './seal.js';
import { layout } from './storage-layout.js';
import { REVOCATION_PENDING, TokenStore, type LookupOptions, type TokenEntry } from './token-store.js';
import { VaultError } from './vault-error.js';

/** What a backend factory gets: its own storage view and the core's shared services. */
export interface BackendContext {
  readonly core: Core;
  readonly mount: MountEntry;
  readonly storage: StorageView;
  readonly logger: Logger;
}

export type BackendFactory = (ctx: BackendContext) => LogicalBackend;

export interface CoreOptions {
  readonly physical: StorageBackend;
  readonly logger: Logger;
  readonly clusterName: string;
  readonly apiAddr: string;
  readonly clusterAddr: string;
  readonly isDev: boolean;
}

/** Where a request path is served: the mount, the path below it and the backend. */
export interface Route {
  readonly entry: MountEntry;
  readonly mountPath: string;
  readonly relativePath: string;
  readonly backend: LogicalBackend;
}

/** Paths below `sys/` that answer while sealed (and without a token). */
const SEALED_OK = [
  'sys/seal-status',
  'sys/health',
  'sys/init',
  'sys/unseal',
  'sys/leader',
  'sys/replication/status',
  'sys/replication/performance/status',
  'sys/replication/dr/status',
];

/** Hooks that run after unseal (in order) and before seal (in reverse). */
export interface LifecycleHook {
  postUnseal?(): Promise<void>;
  preSeal?(): Promise<void>;
}

/**
 * The core: barrier, seal, mount tables, router, tokens, policies and audit, with no transport.
 * `handleRequest` is the one entry point the HTTP layer (and forwarded replication requests) use.
 */
export class Core {
  readonly barrier: Barrier;
  readonly seal: Seal;
  readonly tokens: TokenStore;
  readonly policies: PolicyStore;
  readonly mounts: MountTable;
  readonly auths: MountTable;
  readonly identity: IdentityStore;
  readonly logger: Logger;
  audit: AuditBroker = noAudit;
  replication: ReplicationView = replicationDisabled;
  /**
   * Further families of `sys/` paths (audit, leases, wrapping, generate-root, replication),
   * registered at composition time so each lives in its own file and layer.
   */
  readonly systemPathProviders: ((core: Core) => PathDefinition[])[] = [];
  private readonly factories = new Map<string, BackendFactory>();
  private readonly builtinFactories = new Map<string, BackendFactory>();
  private readonly backends = new Map<string, LogicalBackend>();
  private readonly hooks: LifecycleHook[] = [];
  private unsealed = false;

  constructor(readonly options: CoreOptions) {
    this.logger = options.logger.child({ module: 'core' });
    this.barrier = new Barrier(options.physical);
    this.seal = new Seal(options.physical, this.barrier);
    this.tokens = new TokenStore(this.barrier);
    this.policies = new PolicyStore(this.barrier);
    this.mounts = new MountTable('mounts', this.barrier, builtinMounts());
    this.auths = new MountTable('auth', this.barrier, builtinAuths());
    this.identity = new IdentityStore(new StorageView(this.barrier, layout.identity), (accessor) => this.auths.all().find((e) => e.accessor === accessor));
  }

  get physical(): StorageBackend {
    return this.options.physical;
  }

  get isSealed(): boolean {
    return !this.unsealed;
  }

  registerBackend(type: string, factory: BackendFactory): void {
    this.factories.set(type, factory);
  }

  /** Built-in mounts are bound by path (sys/, cubbyhole/, identity/, auth/token/). */
  registerBuiltin(path: string, factory: BackendFactory): void {
    this.builtinFactories.set(path, factory);
  }

  hasBackendType(type: string): boolean {
    return this.factories.has(type);
  }

  addLifecycleHook(hook: LifecycleHook): void {
    this.hooks.push(hook);
  }

  /** Runs after the barrier opened: loads tables and starts per-cluster services. */
  async postUnseal(): Promise<void> {
    await this.tokens.load();
    await this.policies.ensureDefaults();
    await this.reloadMounts();
    this.unsealed = true;
    for (const hook of this.hooks) await hook.postUnseal?.();
    this.logger.info('post-unseal setup complete');
  }

  async sealCore(): Promise<void> {
    if (!this.unsealed) return;
    this.unsealed = false;
    for (const hook of [...this.hooks].reverse()) await hook.preSeal?.().catch((err) => this.logger.warn({ err: String(err) }, 'pre-seal hook failed'));
    for (const backend of this.backends.values()) await backend.cleanup?.().catch(() => undefined);
    this.backends.clear();
    this.tokens.unload();
    this.policies.invalidate();
    this.seal.seal();
    this.logger.info('vault is sealed');
  }

  /** Re-reads both mount tables and (re)creates backends whose entries changed. */
  async reloadMounts(): Promise<void> {
    await this.mounts.load();
    await this.auths.load();
    const live = new Set<string>();
    for (const [table, prefix] of [
      [this.mounts, ''],
      [this.auths, 'auth/'],
    ] as const) {
      for (const entry of table.all()) {
        live.add(entry.uuid);
        if (this.backends.has(entry.uuid)) continue;
        const factory = entry.builtin ? this.builtinFactories.get(prefix + entry.path) : this.factories.get(entry.type);
        if (factory === undefined) {
          this.logger.warn({ path: prefix + entry.path, type: entry.type }, 'no backend for mount type');
          continue;
        }
        const storage = new StorageView(this.barrier, entry.builtin ? `${layout.clusterSecrets}builtin/${entry.type}/` : table.dataPrefix(entry));
        this.backends.set(entry.uuid, factory({ core: this, mount: entry, storage, logger: this.logger.child({ mount: prefix + entry.path }) }));
      }
    }
    for (const [uuid, backend] of this.backends) {
      if (!live.has(uuid)) {
        await backend.cleanup?.().catch(() => undefined);
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
    const backend = this.backends.get(entry.uuid);
    if (backend === undefined) return undefined;
    const relativePath = inner === entry.path.slice(0, -1) ? '' : inner.slice(entry.path.length);
    return { entry, mountPath: (isAuth ? 'auth/' : '') + entry.path, relativePath, backend };
  }

  async aclFor(policyNames: readonly string[]): Promise<Acl> {
    const policies: Policy[] = [];
    for (const name of policyNames) {
      if (name === 'root') return Acl.fromPolicies([{ name: 'root', text: '', rules: [] }]);
      const policy = await this.policies.get(name);
      if (policy) policies.push(policy);
    }
    return Acl.fromPolicies(policies);
  }

  /** Resolves the caller's token; undefined when missing or not valid on this cluster. */
  async resolveToken(clientToken: string, options: LookupOptions = {}): Promise<TokenEntry | undefined> {
    if (clientToken === '') return undefined;
    for (const translate of this.tokenTranslators) {
      const id = await translate(clientToken);
      if (id !== undefined) return this.tokens.lookupById(id, options);
    }
    return this.tokens.lookupById(clientToken, options);
  }

  /**
   * Other forms a client token can take, mapped to the token id they stand for (for example a
   * signed JWT wrapping token, whose verified `jti` is the wrapping token). Installed by the
   * services that issue them; a translator answers undefined for tokens that are not its own.
   */
  readonly tokenTranslators: ((clientToken: string) => Promise<string | undefined>)[] = [];

  /**
   * Handles one request end to end: seal check, routing, token (one use of a limited-use token
   * is taken here, before anything runs), existence check, ACL (with sudo), audit (fail closed),
   * the backend; a token whose last use this request took is revoked when it is over.
   *
   * `trustedAuth` is the caller as a replication secondary resolved it (tokens are local to each
   * cluster). Only the identity and policy names are taken from it: the operation is decided by
   * this cluster's existence check and authorised against this cluster's policy definitions.
   */
  async handleRequest(req: LogicalRequest, options: { trustedAuth?: RequestAuth } = {}): Promise<LogicalResponse | undefined> {
    if (!this.unsealed && !SEALED_OK.includes(req.path) && !req.path.startsWith('sys/generate-root/')) {
      throw new VaultError('sealed', 'Vault is sealed');
    }
    if (!this.unsealed) {
      const sys = this.builtinBackend('sys/');
      return sys.handleRequest(req, req.path.slice('sys/'.length));
    }
    const route = this.route(req.path);
    if (route === undefined) {
      throw new VaultError('not_found', `no handler for route "${req.path}". route entry not found.`);
    }
    const unauthenticated = matchesPathGlob(route.backend.unauthenticatedPaths, route.relativePath);
    let policies: readonly string[] | undefined;
    let lastUseOf: TokenEntry | undefined;
    if (options.trustedAuth !== undefined) {
      req.auth = options.trustedAuth;
      policies = options.trustedAuth.policies;
      // Create-vs-update is this cluster's decision, made below on its own state.
      if (req.operation === 'create') req.operation = 'update';
    } else if (!unauthenticated || req.clientToken !== '') {
      let token = await this.resolveToken(req.clientToken);
      // A use is taken only where the token authorizes the call (not on unauthenticated paths such as wrapping lookup).
      if (token !== undefined && token.numUses > 0 && !unauthenticated) {
        token = await this.tokens.reserveUse(token.hash);
        if (token !== undefined && token.numUses === REVOCATION_PENDING) lastUseOf = token;
      }
      if (token === undefined && !unauthenticated) {
        await this.audit.logRequest(req, new VaultError('permission_denied', 'permission denied'));
        throw new VaultError('permission_denied', 'permission denied');
      }
      if (token) {
        // The token's entity adds its own and its groups' policies (never root); a disabled entity's tokens are refused.
        const identity = token.entityId === '' ? undefined : await this.identity.policiesOf(token.entityId);
        if (identity?.disabled === true && !unauthenticated) {
          await this.audit.logRequest(req, new VaultError('permission_denied', 'permission denied'));
          throw new VaultError('permission_denied', 'permission denied');
        }
        const effective = [...new Set([...token.policies, ...(identity?.policies ?? []).filter((p) => p !== 'root')])];
        req.auth = {
          tokenAccessor: token.accessor,
          tokenHash: token.hash,
          policies: effective,
          displayName: token.displayName,
          isRoot: token.policies.includes('root'),
          entityId: token.entityId,
        };
        policies = effective;
      }
    }
    if (!unauthenticated && policies === undefined) throw new VaultError('permission_denied', 'permission denied');
    try {
      return await this.dispatch(req, route, unauthenticated ? undefined : policies);
    } finally {
      if (lastUseOf !== undefined) {
        await this.tokens.finishLastUse(lastUseOf).catch((err: unknown) => this.logger.warn({ err: String(err) }, 'revoking a used-up token failed'));
      }
    }
  }

  /** Existence check, ACL, audit, the backend and the response filters of an authenticated request. */
  private async dispatch(req: LogicalRequest, route: Route, policies: readonly string[] | undefined): Promise<LogicalResponse | undefined> {
    req.requestedOperation ??= req.operation;
    if (req.operation === 'update' && route.backend.existenceCheck) {
      const exists = await route.backend.existenceCheck(req, route.relativePath);
      if (exists === false) req.operation = 'create';
    }
    if (policies !== undefined) await this.checkAcl(req, route, policies);
    await this.audit.logRequest(req);
    let response: LogicalResponse | undefined;
    try {
      response = await route.backend.handleRequest(req, route.relativePath);
    } catch (err) {
      await this.audit.logResponse(req, undefined, err instanceof Error ? err : new Error(String(err))).catch(() => undefined);
      throw err;
    }
    response = await this.afterResponse(req, route.entry, response);
    await this.audit.logResponse(req, response);
    return response;
  }

  private async checkAcl(req: LogicalRequest, route: { relativePath: string; backend: LogicalBackend }, policies: readonly string[]): Promise<void> {
    const acl = await this.aclFor(policies);
    const check = acl.check(req.path, req.operation, req.data);
    // Root-protected paths are matched on the path as the ACL sees it (a LIST with its trailing `/`).
    const needsSudo = matchesPathGlob(route.backend.sudoPaths, aclPathOf(route.relativePath, req.operation));
    if (!check.allowed || (needsSudo && !check.sudo)) {
      await this.audit.logRequest(req, new VaultError('permission_denied', 'permission denied'));
      throw new VaultError('permission_denied', 'permission denied');
    }
  }

  /** Listeners told which replicated keys a replication apply changed (to drop caches). */
  readonly replicatedChangeListeners: ((keys: readonly string[]) => Promise<void>)[] = [];

  /** Called by the replication layer after it applied changes from the primary. */
  async onReplicatedChange(keys: readonly string[]): Promise<void> {
    if (!this.unsealed) return;
    if (keys.some((k) => k === KEYRING_PATH)) await this.barrier.reloadKeyring(this.seal.currentRootKey());
    if (keys.some((k) => k === 'core/mounts' || k === 'core/auth' || k === '')) await this.reloadMounts();
    if (keys.some((k) => k.startsWith(layout.policies) || k === '')) this.policies.invalidate();
    for (const listener of this.replicatedChangeListeners) await listener(keys);
  }

  /** Post-processing hooks (lease registration, response wrapping), installed by their owners. */
  readonly responseFilters: ((req: LogicalRequest, mount: MountEntry, res: LogicalResponse | undefined) => Promise<LogicalResponse | undefined>)[] = [];

  private async afterResponse(req: LogicalRequest, mount: MountEntry, res: LogicalResponse | undefined): Promise<LogicalResponse | undefined> {
    let out = res;
    for (const filter of this.responseFilters) out = await filter(req, mount, out);
    return out;
  }

  builtinBackend(path: string): LogicalBackend {
    const entry = path.startsWith('auth/') ? this.auths.get(path.slice(5)) : this.mounts.get(path);
    const existing = entry && this.backends.get(entry.uuid);
    if (existing) return existing;
    // Sealed: the system backend still serves seal-status, init, unseal and health.
    const factory = this.builtinFactories.get(path);
    if (factory === undefined) throw new VaultError('internal', 'built-in backend missing');
    const mount = (path.startsWith('auth/') ? builtinAuths() : builtinMounts()).find(
      (m) => (path.startsWith('auth/') ? 'auth/' : '') + m.path === path,
    ) as MountEntry;
    const backend = factory({
      core: this,
      mount,
      storage: new StorageView(this.barrier, `${layout.clusterSecrets}builtin/${mount.type}/`),
      logger: this.logger,
    });
    return backend;
  }

  /**
   * Initializes the seal and barrier and creates the root token. Like Vault, the server is left
   * sealed afterwards unless `stayUnsealed` (dev mode).
   */
  async initialize(
    shares: number,
    threshold: number,
    options: { rootTokenId?: string; stayUnsealed?: boolean } = {},
  ): Promise<{ keys: Buffer[]; rootToken: string }> {
    const keys = await this.seal.initialize(shares, threshold);
    await this.postUnseal();
    const { id } = await this.tokens.create({
      policies: ['root'],
      path: 'auth/token/root',
      displayName: 'root',
      ...(options.rootTokenId === undefined ? {} : { id: options.rootTokenId }),
    });
    if (!options.stayUnsealed) await this.sealCore();
    return { keys, rootToken: id };
  }

  /** This cluster's id (per cluster, never replicated; minted on first unseal). */
  async clusterId(): Promise<string> {
    const key = `${layout.clusterSecrets}info`;
    const raw = await this.barrier.get(key);
    if (raw !== undefined) return (JSON.parse(raw.toString('utf8')) as { cluster_id: string }).cluster_id;
    const id = randomUUID();
    await this.barrier.put(key, Buffer.from(JSON.stringify({ cluster_id: id })));
    return id;
  }

  newRequestId(): string {
    return randomUUID();
  }
}
