import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Barrier } from '../core/barrier.js';
import { invalidRequest } from '../core/vault-error.js';
import { newPrimaryState } from './new-primary-state.js';
import { kindOf, STATE_KEY, type PrimaryState } from './replication-state.js';
import type { ClusterListener, RelayStore, RolePorts } from './role-ports.js';
import type { WalStorage } from './wal-storage.js';

/** Where a performance secondary keeps its DR primary role (bookkeeping: never travels). */
export const RELAY_STATE_KEY = `${STATE_KEY}-dr-relay`;

export async function loadRelayState(barrier: Barrier): Promise<PrimaryState | undefined> {
  const raw = await barrier.get(RELAY_STATE_KEY);
  return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as PrimaryState);
}

export async function saveRelayState(barrier: Barrier, wal: Pick<WalStorage, 'applyRemote'>, state: PrimaryState | undefined): Promise<void> {
  if (state === undefined) return wal.applyRemote([{ op: 'delete', key: RELAY_STATE_KEY }]);
  await wal.applyRemote([{ op: 'put', key: RELAY_STATE_KEY, value: barrier.encryptFor(RELAY_STATE_KEY, Buffer.from(JSON.stringify(state))) }]);
}

export interface DrRelayOptions<L extends ClusterListener> {
  readonly store: RelayStore;
  readonly wal: Pick<WalStorage, 'setRelaying' | 'resetWal'>;
  readonly bindListener: RolePorts<L, never>['bindListener'];
  readonly clusterAddr: string;
  readonly logger: Logger;
}

/**
 * A performance secondary that is also the DR primary of its own DR secondary (Vault's combined
 * topology). Its DR role is a primary state of its own (own cluster id, CA, epoch and known DR
 * secondaries), stored apart from the secondary state its stream keeps, served by the cluster
 * listener on this cluster's port; its WAL relays what it applies from its primary and what it
 * writes itself. The state machine calls it inside its serialized role changes.
 */
export class DrRelay<L extends ClusterListener> {
  private state: PrimaryState | undefined;
  private server: L | undefined;
  private readonly log: Logger;

  constructor(private readonly options: DrRelayOptions<L>) {
    this.log = options.logger.child({ module: 'replication' });
  }

  get current(): PrimaryState | undefined {
    return this.state;
  }

  get listener(): L | undefined {
    return this.server;
  }

  /** After unseal: the stored relay role, if any, serves again. */
  async resume(onSuperseded: () => void): Promise<void> {
    this.state = await this.options.store.load();
    if (this.state === undefined) return;
    this.options.wal.setRelaying(true);
    this.server = await this.bind(this.state, onSuperseded);
  }

  async pause(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }

  async enable(primaryClusterAddr: string, onSuperseded: () => void): Promise<void> {
    if (this.state !== undefined) throw invalidRequest('DR replication is already enabled as a primary on this cluster');
    const clusterId = randomUUID();
    const next = await newPrimaryState({ clusterId, epoch: 1, primaryClusterAddr, kinds: ['dr'] }, this.options.clusterAddr);
    const listener = await this.bind(next, onSuperseded);
    try {
      await this.options.wal.resetWal();
      await this.options.store.save(next);
    } catch (err) {
      await listener.stop();
      throw err;
    }
    this.options.wal.setRelaying(true);
    this.state = next;
    this.server = listener;
    this.log.info({ cluster_id: clusterId }, 'DR replication enabled as primary on a performance secondary');
  }

  /** A read-modify-write of the relay's known DR secondaries. */
  async change<T>(change: (state: PrimaryState) => Promise<{ next: PrimaryState; result: T }>): Promise<T> {
    const { next, result } = await change(this.require());
    await this.options.store.save(next);
    this.state = next;
    return result;
  }

  async revoke(id: string): Promise<void> {
    const state = this.require();
    const known = state.secondaries[id];
    if (known === undefined || kindOf(known) !== 'dr') throw invalidRequest(`no DR secondary with id "${id}"`);
    const secondaries = { ...state.secondaries };
    delete secondaries[id];
    await this.change(async () => ({ next: { ...state, secondaries }, result: undefined }));
    this.server?.disconnect(id);
    this.server?.connections.delete(id);
  }

  async disable(): Promise<void> {
    this.require();
    await this.pause();
    await this.options.store.save(undefined);
    this.state = undefined;
    this.options.wal.setRelaying(false);
    await this.options.wal.resetWal();
  }

  private require(): PrimaryState {
    if (this.state === undefined) throw invalidRequest('this cluster is not a DR replication primary');
    return this.state;
  }

  private bind(state: PrimaryState, onSuperseded: () => void): Promise<L> {
    return this.options.bindListener(state, {
      current: () => this.state,
      onNewerEpoch: () => {
        this.log.warn('a DR secondary of this cluster was promoted; this cluster stops acting as its DR primary');
        onSuperseded();
      },
    });
  }
}
