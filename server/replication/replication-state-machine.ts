import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ReplicationMode } from '../core/replication-role.js';
import { invalidRequest, VaultError } from '../core/vault-error.js';
import { SerialQueue } from '../storage/serial-queue.js';
import type { TrustOptions } from './activation-client.js';
import { DrRelay } from './dr-relay.js';
import { newPrimaryState, type PrimaryIdentity } from './new-primary-state.js';
import type { FenceNotifier } from './fence-notifier.js';
import {
  detachedSecondary,
  isDetached,
  kindOf,
  kindsOf,
  roleFor,
  type PrimaryState,
  type ReplicationKind,
  type ReplicationState,
  type SecondaryState,
} from './replication-state.js';
import { WARNINGS } from './replication-warnings.js';
import { drPrefix, kindName, rejoinedSecondary, requireBundleKind, requirePrimary, requireSecondary } from './role-requirements.js';
import type { ClusterListener, ReplicationStateMachineOptions, ReplicationStream, RolePorts } from './role-ports.js';
import type { InstallOptions } from './secondary-activator.js';

/**
 * A cluster's replication role and the transitions between disabled, primary and secondary.
 * Role changes run one at a time; each stores the new role as its commit point, and one that
 * fails before or at it restores the previous role (listener or stream included). A primary that
 * learns of a newer fencing epoch steps down to a detached secondary.
 */
export class ReplicationStateMachine<L extends ClusterListener = ClusterListener, S extends ReplicationStream = ReplicationStream> {
  private state: ReplicationState = { role: 'disabled' };
  private server: L | undefined;
  private secondaryStream: S | undefined;
  private fenceNotifier: FenceNotifier | undefined;
  private activating = false;
  /** Role changes and secondary bookkeeping are read-modify-write of one state: one at a time. */
  private readonly changes = new SerialQueue();
  private readonly ports: RolePorts<L, S>;
  private readonly log: Logger;
  /** The DR primary role of a performance secondary (combined topology). */
  readonly relay: DrRelay<L>;

  constructor(private readonly options: ReplicationStateMachineOptions<L, S>) {
    this.ports = options.ports;
    this.log = options.logger.child({ module: 'replication' });
    this.relay = new DrRelay<L>({
      store: options.ports.relayStore,
      wal: options.ports.wal,
      bindListener: options.ports.bindListener,
      clusterAddr: options.clusterAddr,
      logger: options.logger,
    });
  }

  mode(): ReplicationMode {
    if (this.activating) return 'bootstrapping';
    return this.state.role;
  }

  get current(): ReplicationState {
    return this.state;
  }

  /** True while a secondary activation downloads and installs the primary's state. */
  get isActivating(): boolean {
    return this.activating;
  }

  /** The cluster listener while primary. */
  get listener(): L | undefined {
    return this.server;
  }

  /** The stream while a secondary follows a primary. */
  get stream(): S | undefined {
    return this.secondaryStream;
  }

  /** After unseal: load the stored role and start serving or streaming. */
  async resume(): Promise<void> {
    const stored = await this.ports.store.load();
    // A performance secondary's DR role first: its WAL must relay from the stream's first entry on.
    if (stored.role === 'secondary' && kindOf(stored) === 'performance' && this.relay.listener === undefined) {
      await this.relay.resume(() => this.supersedeRelay());
    }
    await this.run(stored);
  }

  /** Runs `job` in turn with role changes: none starts or is in progress while it runs. */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    return this.changes.run(job);
  }

  /** Before seal: everything `pause` stops, and the DR listener of a performance secondary. */
  async pauseAll(): Promise<void> {
    await this.pause();
    await this.relay.pause();
  }

  /** Stops the listener, the stream and any fence notification (not a performance secondary's DR listener). */
  async pause(): Promise<void> {
    this.fenceNotifier?.stop();
    this.fenceNotifier = undefined;
    await this.server?.stop();
    this.server = undefined;
    await this.secondaryStream?.stop();
    this.secondaryStream = undefined;
  }

  /**
   * Enables `kind` replication as a primary. A primary of one type becomes a primary of both at
   * once (one listener and WAL serve both kinds of secondaries); a secondary cannot.
   */
  enablePrimary(primaryClusterAddr: string, kind: ReplicationKind = 'performance'): Promise<string[]> {
    return this.changes.run(async () => {
      const state = this.state;
      if (state.role === 'secondary' && kind === 'dr' && kindOf(state) === 'performance') {
        await this.relay.enable(primaryClusterAddr, () => this.supersedeRelay());
        return [WARNINGS.primaryEnable];
      }
      if (state.role === 'secondary') {
        throw invalidRequest(
          kindOf(state) === kind
            ? 'cannot enable replication as a primary on a replication secondary; promote it instead, there is never more than one primary'
            : `this cluster is a ${kindOf(state) === 'dr' ? 'DR' : 'performance'} secondary; it cannot also be a ${kind === 'dr' ? 'DR' : 'performance'} primary in this version`,
        );
      }
      if (state.role === 'primary') {
        if (kindsOf(state).includes(kind)) throw invalidRequest(`${drPrefix(kind)}replication is already enabled as a primary on this cluster`);
        await this.save({ ...state, kinds: [...kindsOf(state), kind] });
        this.log.info({ kind }, 'replication enabled as primary of another type');
        return [WARNINGS.primaryEnable];
      }
      const next = await this.becomePrimary({ clusterId: randomUUID(), epoch: 1, primaryClusterAddr, ...(kind === 'dr' ? { kinds: ['dr'] } : {}) });
      this.log.info({ cluster_id: next.clusterId, kind }, 'replication enabled as primary');
      return [WARNINGS.primaryEnable];
    });
  }

  /** The role this cluster has in `kind` replication ('disabled' when it takes no part). */
  roleIn(kind: ReplicationKind): ReplicationState['role'] {
    if (kind === 'dr' && this.relay.current !== undefined) return 'primary';
    return roleFor(this.state, kind);
  }

  /**
   * A read-modify-write of the primary's state (its known secondaries), in turn with role changes.
   * `change` returns the state to store and the caller's result; nothing is stored if it throws.
   */
  changePrimary<T>(change: (state: PrimaryState) => Promise<{ next: PrimaryState; result: T }>, kind?: ReplicationKind): Promise<T> {
    return this.changes.run(async () => {
      if (kind === 'dr' && this.relay.current !== undefined) return this.relay.change(change);
      const { next, result } = await change(requirePrimary(this.state, kind));
      await this.save(next);
      return result;
    });
  }

  revokeSecondary(id: string, kind: ReplicationKind = 'performance'): Promise<void> {
    return this.changes.run(async () => {
      if (kind === 'dr' && this.relay.current !== undefined) return this.relay.revoke(id);
      const state = requirePrimary(this.state, kind);
      const known = state.secondaries[id];
      if (known === undefined || kindOf(known) !== kind) throw invalidRequest(`no ${drPrefix(kind)}secondary with id "${id}"`);
      const secondaries = { ...state.secondaries };
      delete secondaries[id];
      await this.save({ ...state, secondaries });
      this.server?.disconnect(id);
      this.server?.connections.delete(id);
    });
  }

  /** Disables `kind`: its secondaries are cut off; the cluster stays primary of the other type if it is one. */
  disablePrimary(kind: ReplicationKind = 'performance'): Promise<string[]> {
    return this.changes.run(async () => {
      if (kind === 'dr' && this.relay.current !== undefined) {
        await this.relay.disable();
        return [WARNINGS.disable];
      }
      const previous = requirePrimary(this.state, kind);
      const remaining = kindsOf(previous).filter((k) => k !== kind);
      if (remaining.length > 0) {
        const dropped = Object.values(previous.secondaries).filter((s) => kindOf(s) === kind);
        const secondaries = Object.fromEntries(Object.entries(previous.secondaries).filter(([, s]) => kindOf(s) !== kind));
        await this.save({ ...previous, kinds: remaining, secondaries });
        for (const s of dropped) {
          this.server?.disconnect(s.id);
          this.server?.connections.delete(s.id);
        }
        return [WARNINGS.disable];
      }
      await this.pause();
      await this.commitOrRestore({ role: 'disabled' }, previous);
      this.ports.wal.setRole('off', 0);
      await this.ports.wal.resetWal();
      return [WARNINGS.disable];
    });
  }

  /** The primary becomes a secondary that follows nobody; it keeps its cluster id and epoch. */
  demotePrimary(kind: ReplicationKind = 'performance'): Promise<string[]> {
    return this.changes.run(async () => {
      const state = requirePrimary(this.state, kind);
      if (kindsOf(state).length > 1) {
        throw invalidRequest(
          `this cluster is primary of both replication types; disable ${kind === 'dr' ? 'performance' : 'DR'} replication before demoting it as a ${kindName(kind)} primary`,
        );
      }
      await this.pause();
      await this.commitOrRestore(detachedSecondary(state.clusterId, state.epoch, this.ports.wal.lastWal, kind), state);
      this.ports.wal.setRole('secondary', state.epoch);
      this.log.info({ epoch: state.epoch }, 'replication primary demoted');
      return [WARNINGS.demote];
    });
  }

  /** A primary that learns of a newer epoch stops acting as primary at once (never two primaries). */
  fence(epoch: number): Promise<void> {
    return this.changes.run(async () => {
      if (this.state.role !== 'primary' || epoch <= this.state.epoch) return;
      const clusterId = this.state.clusterId;
      await this.pause();
      const kind = kindsOf(this.state).includes('dr') && kindsOf(this.state).length === 1 ? 'dr' : 'performance';
      await this.save({ ...detachedSecondary(clusterId, epoch, this.ports.wal.lastWal, kind), fencedByEpoch: epoch });
      this.ports.wal.setRole('secondary', epoch);
      this.log.warn({ epoch }, 'a newer replication primary exists; this cluster stopped acting as primary');
    });
  }

  // ---- secondary ----

  /**
   * Activates this cluster as a secondary. Everything is validated first (token shape, type,
   * expiry, the unwrap at the primary, the bootstrap download); only then is storage wiped and
   * replaced, in one transaction, by the primary's replicated state and this cluster's new role.
   */
  enableSecondary(
    token: string,
    primaryApiAddr: string,
    trust: TrustOptions,
    install: InstallOptions = {},
    kind: ReplicationKind = 'performance',
  ): Promise<string[]> {
    return this.changes.run(async () => {
      if (this.state.role === 'primary') throw invalidRequest('this cluster is a replication primary; disable or demote it before enabling it as a secondary');
      if (this.state.role === 'secondary') throw invalidRequest('this cluster is already a replication secondary; use update-primary to change its primary');
      if (this.activating) throw invalidRequest('an activation is already in progress');
      const { activator } = this.ports;
      const apiAddr = activator.check(token, primaryApiAddr, kind);
      this.activating = true;
      try {
        const bundle = await activator.unwrap(apiAddr, token, trust);
        requireBundleKind(bundle, kind);
        const installWarnings = await activator.install(bundle, apiAddr, () => (this.activating = false), install);
        this.log.info({ secondary_id: bundle.id, cluster_id: bundle.cluster_id }, 'replication enabled as secondary');
        return [WARNINGS.secondaryEnable, ...installWarnings];
      } finally {
        this.activating = false;
      }
    });
  }

  disableSecondary(kind: ReplicationKind = 'performance'): Promise<string[]> {
    return this.changes.run(async () => {
      const previous = requireSecondary(this.state, kind);
      this.refuseWhileRelaying();
      await this.pause();
      await this.commitOrRestore({ role: 'disabled' }, previous);
      this.ports.wal.setRole('off', 0);
      return [WARNINGS.disable];
    });
  }

  /**
   * The secondary becomes the primary of the same replication set under a new epoch. Without
   * `force` it refuses while it is still connected to a live primary: demote that one first.
   * The old primary is told of the new epoch (now, and again until it answers) and steps down.
   */
  promoteSecondary(primaryClusterAddr: string, force: boolean, kind: ReplicationKind = 'performance'): Promise<string[]> {
    return this.changes.run(async () => {
      const old = requireSecondary(this.state, kind);
      this.refuseWhileRelaying();
      if (!force && kind === 'dr' && (this.secondaryStream?.isCatchingUp === true || (old.needsResync === true && !isDetached(old)))) {
        throw new VaultError('unavailable', 'replication is still catching up, try again later or provide the "force" argument');
      }
      if (!force && this.secondaryStream?.isConnected) {
        throw invalidRequest(
          'this secondary is still connected to a live primary; demote the primary first, or promote with force=true (writes not yet replicated here may be lost, and the old primary will be fenced)',
        );
      }
      const next = await this.becomePrimary(
        { clusterId: old.clusterId, epoch: old.epoch + 1, primaryClusterAddr, ...(kind === 'dr' ? { kinds: ['dr'] } : {}) },
        old.lastRemoteWal,
      );
      if (!isDetached(old)) this.fenceNotifier = this.ports.notifyOldPrimary(old, next.epoch);
      this.log.info({ epoch: next.epoch }, 'replication secondary promoted to primary');
      return [WARNINGS.promote, WARNINGS.otherSecondaries];
    });
  }

  /**
   * Points a secondary (or a demoted or fenced primary) at a primary of the same replication set,
   * without a wipe: the stream restarts with a Merkle sync, since WAL indexes of different
   * primaries do not line up. An empty token forgets the current primary.
   */
  updatePrimary(token: string, primaryApiAddr: string, trust: TrustOptions, kind: ReplicationKind = 'performance'): Promise<string[]> {
    return this.changes.run(async () => {
      const current = requireSecondary(this.state, kind);
      if (token === '') {
        await this.pause();
        await this.commitOrRestore(detachedSecondary(current.clusterId, current.epoch, current.lastRemoteWal, kind), current);
        return [];
      }
      const { activator } = this.ports;
      const apiAddr = activator.check(token, primaryApiAddr, kind);
      const bundle = await activator.unwrap(apiAddr, token, trust);
      const next = rejoinedSecondary(current, bundle, apiAddr, kind);
      await this.pause();
      await this.commitOrRestore(next, current);
      this.ports.wal.setRole('secondary', next.epoch);
      this.startStream(next);
      this.log.info({ secondary_id: bundle.id, epoch: bundle.epoch }, 'replication secondary now follows a new primary');
      return [];
    });
  }

  /** Rebuilds the Merkle index from storage. */
  reindex(): Promise<string[]> {
    return this.changes.run(async () => {
      await this.ports.wal.open();
      return ['Merkle index rebuilt from storage'];
    });
  }

  /** Restarts a secondary's stream (after a stuck or failed sync). */
  recover(): Promise<string[]> {
    return this.changes.run(async () => {
      if (this.state.role !== 'secondary' || isDetached(this.state)) return ['nothing to recover: this cluster is not streaming from a primary'];
      await this.pause();
      this.startStream(this.state);
      return ['replication stream restarted'];
    });
  }

  // ---- the steps transitions share ----
  /**
   * Enable-primary and promote: fresh cluster CA and server certificate, the listener bound
   * before anything stops or is stored (a cluster address in use changes nothing), then the WAL
   * restarted (continuing after `lastWal` when promoted) and the role stored.
   */
  private async becomePrimary(identity: PrimaryIdentity, lastWal?: number): Promise<PrimaryState> {
    const previous = this.state;
    const next = await newPrimaryState(identity, this.options.clusterAddr);
    const listener = await this.bindListener(next);
    await this.pause();
    try {
      await this.ports.wal.resetWal();
      if (lastWal !== undefined) this.ports.wal.setLastWal(lastWal);
      await this.save(next);
    } catch (err) {
      await this.restore(previous, listener);
      throw err;
    }
    this.ports.wal.setRole('primary', next.epoch);
    this.server = listener;
    return next;
  }

  /** Stores `next`; if that fails, runs `previous` again (the caller already paused it) and rethrows. */
  private async commitOrRestore(next: ReplicationState, previous: ReplicationState): Promise<void> {
    try {
      await this.save(next);
    } catch (err) {
      await this.restore(previous);
      throw err;
    }
  }

  private async save(next: ReplicationState): Promise<void> {
    await this.ports.store.save(next);
    this.state = next;
  }

  /** Adopts `state` in memory and starts what it runs: the cluster listener or the stream. */
  private async run(state: ReplicationState): Promise<void> {
    this.state = state;
    if (state.role === 'primary') {
      this.ports.wal.setRole('primary', state.epoch);
      this.server = await this.bindListener(state);
    } else if (state.role === 'secondary') {
      this.ports.wal.setRole('secondary', state.epoch);
      if (!isDetached(state)) this.startStream(state);
    } else {
      this.ports.wal.setRole('off', 0);
    }
  }

  /**
   * Undoes a role change that failed part-way: stops whatever the new role had started (and a
   * listener bound for it) and runs the previous state again. The state write is each change's
   * commit point, so a change that failed before or at it left the previous state in storage.
   */
  private async restore(previous: ReplicationState, bound?: L): Promise<void> {
    await bound?.stop();
    await this.pause();
    try {
      await this.run(previous);
      this.log.warn({ role: previous.role }, 'role change failed; previous replication state restored');
    } catch (err) {
      this.log.error({ err: String(err) }, 'role change failed and the previous replication state could not be restarted');
    }
  }

  private bindListener(state: PrimaryState): Promise<L> {
    return this.ports.bindListener(state, {
      current: () => (this.state.role === 'primary' ? this.state : undefined),
      onNewerEpoch: (epoch) => {
        void this.fence(epoch).catch((err: unknown) => this.log.error({ err: String(err) }, 'fencing failed'));
      },
    });
  }

  private startStream(state: SecondaryState): void {
    this.secondaryStream = this.ports.startStream(state, (next) => {
      this.state = next;
    });
  }

  /** A performance secondary with its own DR secondary keeps following its primary until DR is disabled here. */
  private refuseWhileRelaying(): void {
    if (this.relay.current !== undefined) {
      throw invalidRequest(
        'this performance secondary is the DR primary of its own DR secondary; disable DR replication on it (sys/replication/dr/primary/disable) first',
      );
    }
  }

  /** A DR secondary of this performance secondary was promoted: stop relaying to it. */
  private supersedeRelay(): void {
    void this.changes
      .run(async () => {
        if (this.relay.current !== undefined) await this.relay.disable();
      })
      .catch((err: unknown) => this.log.error({ err: String(err) }, 'stopping the DR relay failed'));
  }
}
