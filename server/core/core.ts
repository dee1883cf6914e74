import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { StorageBackend } from '../storage/backend.js';
import type { Acl } from './acl.js';
import { DeviceAuditBroker } from './audit/device-audit-broker.js';
import { Barrier, StorageView } from './barrier.js';
import { ExpirationManager, type ExpirationOptions } from './expiration/expiration-manager.js';
import { GenerateRoot } from './generate-root.js';
import { IndexConsistency } from './index-consistency.js';
import { IndexHeaderKey } from './index-header-key.js';
import { InvalidationDispatcher, invalidationOwners } from './invalidation.js';
import type { LogicalBackend } from './logical-backend.js';
import type { LogicalRequest, LogicalResponse, RequestAuth } from './logical.js';
import { builtinAuths, builtinMounts } from './builtin-mounts.js';
import { IdentityStore } from './identity-store.js';
import { MountTable, type MountEntry } from './mount-table.js';
import type { PathDefinition } from './path-table.js';
import { PolicyStore } from './policy-store.js';
import { postResponseSteps, type PostResponseStep } from './post-response-steps.js';
import { haDisabled, type HaView } from './ha-view.js';
import { replicationDisabled, type ReplicationView } from './replication-role.js';
import { Router, type MountedBackend, type Route } from './router.js';
import { Seal } from './seal.js';
import { layout } from './storage-layout.js';
import { TokenStore, type LookupOptions, type TokenEntry } from './token-store.js';
import { VaultError } from './vault-error.js';
import { ResponseWrapper } from './wrapping/response-wrapper.js';
import { handleRequest } from './request-handling.js';

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
  /** The expiration manager's sweep interval (tests shorten it). */
  readonly expiration?: ExpirationOptions;
}

/**
 * A hook of a layer above the core (replication) that runs after the core's own unseal steps
 * and, in reverse order, before its own seal steps.
 */
export interface LifecycleHook {
  postUnseal?(): Promise<void>;
  preSeal?(): Promise<void>;
}

/** The `sys/` paths a layer above the core contributes (replication's `sys/replication/*`). */
export type SystemPathProvider = (core: Core) => PathDefinition[];

/**
 * The core: barrier, seal, mount tables, router, tokens, policies, leases, audit and wrapping,
 * with no transport. Build one with `createCore` (server/core/create-core.ts). The services are
 * typed fields, created here in Vault's unseal order — setupMounts → setupPolicyStore →
 * setupCredentials → setupExpiration → setupAudits — and loaded in that order by `postUnseal`.
 * `handleRequest` is the one entry point the HTTP layer (and forwarded replication requests) use.
 */
export class Core {
  readonly logger: Logger;
  readonly barrier: Barrier;
  readonly seal: Seal;
  // setupMounts
  readonly mounts: MountTable;
  readonly auths: MountTable;
  readonly router: Router;
  // setupPolicyStore
  readonly policies: PolicyStore;
  // setupCredentials
  readonly tokens: TokenStore;
  // setupIdentityStore: entities and groups, whose policies add to their tokens'
  readonly identity: IdentityStore;
  // setupExpiration
  readonly expiration: ExpirationManager;
  // setupAudits
  readonly audit: DeviceAuditBroker;
  // services the sys backend serves
  readonly wrapper: ResponseWrapper;
  readonly generateRoot: GenerateRoot;
  /** Leases, then wrapping, then audit: see `postResponseSteps`. */
  readonly postResponseSteps: readonly PostResponseStep[];
  /** Routes storage changes made underneath this core (replication, HA) to their owners. */
  readonly invalidation: InvalidationDispatcher;
  /** The HMAC key of X-Vault-Index states, and the guard that checks and issues them. */
  readonly indexHeaderKey: IndexHeaderKey;
  private readonly indexConsistency: IndexConsistency;
  private replicationView: ReplicationView = replicationDisabled;
  private replicationPaths: SystemPathProvider | undefined;
  private readonly factories = new Map<string, BackendFactory>();
  private readonly builtinFactories = new Map<string, BackendFactory>();
  private readonly hooks: LifecycleHook[] = [];
  private unsealed = false;
  /** HA: the barrier is open but this node is a standby; its services are not running. */
  private standbyUnsealed = false;
  private haView: HaView;
  private sealReason: string | undefined;

  constructor(readonly options: CoreOptions) {
    this.logger = options.logger.child({ module: 'core' });
    this.barrier = new Barrier(options.physical);
    this.seal = new Seal(options.physical, this.barrier);
    this.mounts = new MountTable('mounts', this.barrier, builtinMounts());
    this.auths = new MountTable('auth', this.barrier, builtinAuths());
    this.router = new Router(this.mounts, this.auths, this.logger);
    this.policies = new PolicyStore(this.barrier);
    // The barrier also seals batch tokens: their id carries their data, encrypted under the keyring.
    this.tokens = new TokenStore(this.barrier, this.barrier, this.logger.child({ module: 'token-store' }));
    this.identity = new IdentityStore(new StorageView(this.barrier, layout.identity), (accessor) => this.auths.all().find((e) => e.accessor === accessor));
    this.expiration = new ExpirationManager(this, options.expiration);
    this.audit = new DeviceAuditBroker(this);
    this.wrapper = new ResponseWrapper(this);
    this.generateRoot = new GenerateRoot(this);
    // A revoked token takes its wrapped response and its leases with it.
    this.tokens.onRevoke((entry) => this.wrapper.forget(entry));
    this.tokens.onRevoke((entry) => this.expiration.revokeLeasesOfToken(entry.hash));
    this.postResponseSteps = postResponseSteps(this);
    this.haView = haDisabled(options.apiAddr, options.clusterAddr);
    this.indexHeaderKey = new IndexHeaderKey(this.barrier);
    this.indexConsistency = new IndexConsistency(this);
    this.invalidation = new InvalidationDispatcher(invalidationOwners(this), () => this.unsealed, this.logger);
  }

  get physical(): StorageBackend {
    return this.options.physical;
  }

  /**
   * Unsealed with its services running: the node serves every route. False while sealed and on an HA
   * standby, which answers only the paths that work while sealed (the rest is forwarded above the core).
   */
  get isServing(): boolean {
    return this.unsealed;
  }

  get isSealed(): boolean {
    return !this.unsealed && !this.standbyUnsealed;
  }

  /** HA: unsealed, but a standby (requests go to the active node). */
  get isStandby(): boolean {
    return this.standbyUnsealed;
  }

  /** High availability, as the HA layer reports it (every node is active until attached). */
  get ha(): HaView {
    return this.haView;
  }

  /** Attaches the HA layer (built after the core). Called once, by the composition root. */
  attachHa(view: HaView): void {
    this.haView = view;
  }

  /** This cluster's replication role, as the replication layer reports it (disabled until attached). */
  get replication(): ReplicationView {
    return this.replicationView;
  }

  /**
   * Attaches the replication layer, which is built after the core (it needs the core): its role
   * view and its `sys/replication/*` paths. Called once, by the composition root.
   */
  attachReplication(view: ReplicationView, paths: SystemPathProvider): void {
    if (this.replicationPaths !== undefined) throw new Error('replication is already attached');
    this.replicationView = view;
    this.replicationPaths = paths;
  }

  /** The `sys/` paths contributed by layers above the core. */
  extraSystemPaths(): PathDefinition[] {
    return this.replicationPaths?.(this) ?? [];
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

  /** For layers above the core (replication): run after unseal, and before seal in reverse. */
  addLifecycleHook(hook: LifecycleHook): void {
    this.hooks.push(hook);
  }

  /** Runs after the barrier opened: loads every service in Vault's unseal order, then the hooks. */
  async postUnseal(): Promise<void> {
    this.sealReason = undefined;
    if (!this.haView.isActive()) {
      // A standby runs no services: it answers seal-status, health and leader as a sealed node's
      // system backend does, and forwards the rest; the active node runs everything.
      this.standbyUnsealed = true;
      this.logger.info('unsealed as a standby');
      this.haView.onStandbyUnsealed();
      return;
    }
    // A standby being promoted stays unsealed (for seal-status) until its services run.
    this.indexHeaderKey.forget(); // read again: an activation may have brought the primary's
    await this.reloadMounts(); // setupMounts
    await this.policies.ensureDefaults(); // setupPolicyStore
    await this.tokens.load(); // setupCredentials
    await this.expiration.start(); // setupExpiration
    await this.audit.reload(); // setupAudits
    this.unsealed = true;
    this.standbyUnsealed = false;
    for (const hook of this.hooks) await hook.postUnseal?.();
    this.logger.info('post-unseal setup complete');
  }

  /**
   * Seals: the hooks in reverse, then the core's services in the reverse of their unseal order.
   * `keepHaLock`: a reseal inside one operation of the active node (a secondary activation swaps
   * the keyring and unseals again at once): it keeps the HA lock, so its storage writes pass the fence.
   */
  async sealCore(options: { keepHaLock?: boolean } = {}): Promise<void> {
    if (this.standbyUnsealed) {
      this.standbyUnsealed = false;
      await this.router.clear();
      this.seal.seal();
      await this.haView.onSealed();
      this.logger.info('sealed');
      return;
    }
    if (!this.unsealed) return;
    await this.stopServices();
    this.seal.seal();
    if (options.keepHaLock !== true) await this.haView.onSealed();
    this.logger.info('sealed');
  }

  /** Why this node sealed itself (`sys/seal-status` warnings); undefined when it was not the node's own doing. */
  get sealedReason(): string | undefined {
    return this.isSealed ? this.sealReason : undefined;
  }

  /** Seals because this node cannot go on (e.g. a standby that lost the cluster's keyring), remembering why. */
  async sealWithReason(reason: string): Promise<void> {
    await this.sealCore();
    this.sealReason = reason;
  }

  /**
   * HA: the active node becomes a standby, keeping its keys: its services stop (hooks in reverse,
   * then the core's). It needs no storage, so it works while the database is unreachable.
   */
  async becomeStandby(): Promise<void> {
    this.standbyUnsealed = true;
    if (this.unsealed) await this.stopServices();
  }

  /**
   * HA: a standby that won the lock loads everything afresh from storage (the active's writes
   * happened underneath it) and starts its services.
   */
  async becomeActive(): Promise<void> {
    if (!(await this.seal.followRekey())) await this.barrier.reloadKeyring(this.seal.currentRootKey());
    await this.router.clear();
    this.policies.invalidate();
    this.tokens.unload();
    await this.postUnseal();
  }

  private async stopServices(): Promise<void> {
    this.unsealed = false;
    for (const hook of [...this.hooks].reverse()) await hook.preSeal?.().catch((err) => this.logger.warn({ err: String(err) }, 'pre-seal hook failed'));
    this.generateRoot.cancel();
    await this.expiration.stop();
    this.wrapper.signer.forget();
    this.audit.clear();
    await this.router.clear();
    this.tokens.unload();
    this.policies.invalidate();
  }

  /**
   * Called by the replication layer after it applied changes from the primary (WAL entries or a
   * Merkle sync); `''` means everything may have changed. Each key goes to its owner.
   */
  async onReplicatedChange(keys: readonly string[]): Promise<void> {
    await this.invalidation.invalidate(keys);
  }

  /** Re-reads both mount tables and (re)creates backends whose entries changed. */
  async reloadMounts(): Promise<void> {
    await this.mounts.load();
    await this.auths.load();
    await this.reconcileBackends();
  }

  /** Creates backends for new entries of the loaded mount tables and cleans up removed ones. */
  async reconcileBackends(): Promise<void> {
    await this.router.reconcile((entry, table, routePrefix) => this.newBackend(entry, table, routePrefix));
  }

  /** The backend of a mount entry over its storage view (built-ins live under this cluster's own prefix). */
  private newBackend(entry: MountEntry, table: MountTable, routePrefix: string): MountedBackend | undefined {
    const factory = entry.builtin ? this.builtinFactories.get(routePrefix + entry.path) : this.factories.get(entry.type);
    if (factory === undefined) return undefined;
    const storagePrefix = entry.builtin ? `${layout.clusterSecrets}builtin/${entry.type}/` : table.dataPrefix(entry);
    const storage = new StorageView(this.barrier, storagePrefix);
    return { backend: factory({ core: this, mount: entry, storage, logger: this.logger.child({ mount: routePrefix + entry.path }) }), storagePrefix };
  }

  /** The mount (and its backend) serving a request path. */
  route(path: string): Route | undefined {
    return this.router.route(path);
  }

  /** The ACL of a set of policy names (`root` grants everything). */
  aclFor(policyNames: readonly string[]): Promise<Acl> {
    return this.policies.aclFor(policyNames);
  }

  /** Resolves the caller's token; undefined when missing or not valid on this cluster. */
  async resolveToken(clientToken: string, options: LookupOptions = {}): Promise<TokenEntry | undefined> {
    if (clientToken === '') return undefined;
    // A JWT-form wrapping token stands for its verified `jti` (undefined for any other token).
    const wrappingTokenId = await this.wrapper.signer.verify(clientToken);
    return this.tokens.lookupById(wrappingTokenId ?? clientToken, options);
  }

  /**
   * The policies a token acts with: its own plus its entity's and that entity's groups' (never
   * root). Enforcement and `sys/capabilities*` both use this one set. A disabled entity's tokens
   * are refused by the caller.
   */
  async effectivePoliciesOf(token: TokenEntry): Promise<{ policies: string[]; identityPolicies: string[]; isEntityDisabled: boolean }> {
    const identity = token.entityId === '' ? undefined : await this.identity.policiesOf(token.entityId);
    const identityPolicies = (identity?.policies ?? []).filter((p) => p !== 'root');
    return { policies: [...new Set([...token.policies, ...identityPolicies])], identityPolicies, isEntityDisabled: identity?.disabled === true };
  }

  /**
   * Handles one request end to end (`request-handling.ts`): seal check, routing, token and its
   * use, existence check, ACL, audit, the backend, the post-response steps.
   */
  handleRequest(req: LogicalRequest, options: { trustedAuth?: RequestAuth } = {}): Promise<LogicalResponse | undefined> {
    const run = () => handleRequest(this, req, options);
    return this.indexConsistency.handle(req, () => this.replicationView.handleDurably?.(req.path, run) ?? run());
  }

  /** A built-in mount's backend; while sealed (no tables loaded) a fresh one, so `sys/` can answer. */
  builtinBackend(path: string): LogicalBackend {
    const isAuth = path.startsWith('auth/');
    const table = isAuth ? this.auths : this.mounts;
    const inner = isAuth ? path.slice('auth/'.length) : path;
    const entry = table.get(inner);
    const existing = entry && this.router.backendOf(entry.uuid);
    if (existing) return existing;
    const builtin = (isAuth ? builtinAuths() : builtinMounts()).find((m) => m.path === inner);
    const created = builtin && this.newBackend(builtin, table, isAuth ? 'auth/' : '');
    if (created === undefined) throw new VaultError('internal', 'built-in backend missing');
    return created.backend;
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
    // With HA no node holds the lock yet: the store is created without one.
    this.haView.beginInitialize();
    try {
      const keys = await this.seal.initialize(shares, threshold);
      await this.postUnseal();
      await this.clusterId();
      await this.indexHeaderKey.initialize();
      const { id } = await this.tokens.create({
        policies: ['root'],
        path: 'auth/token/root',
        displayName: 'root',
        ...(options.rootTokenId === undefined ? {} : { id: options.rootTokenId }),
      });
      if (!options.stayUnsealed) await this.sealCore();
      return { keys, rootToken: id };
    } finally {
      this.haView.endInitialize();
    }
  }

  /** This cluster's id (per cluster, never replicated; minted on first unseal). */
  async clusterId(): Promise<string> {
    const key = `${layout.clusterSecrets}info`;
    const raw = await this.barrier.get(key);
    if (raw !== undefined) return (JSON.parse(raw.toString('utf8')) as { cluster_id: string }).cluster_id;
    // Only the active node writes (a secondary activation wiped this cluster's id; the active makes a new one).
    if (!this.haView.isActive()) return '';
    const id = randomUUID();
    await this.barrier.put(key, Buffer.from(JSON.stringify({ cluster_id: id })));
    return id;
  }

  newRequestId(): string {
    return randomUUID();
  }
}
