import { expect } from 'chai';
import { pino } from 'pino';
import type { ActivationBundle } from '../../../server/replication/activation-bundle.js';
import type { TrustOptions } from '../../../server/replication/activation-client.js';
import { activationApiAddr } from '../../../server/replication/activation-token.js';
import type { ListenerHooks } from '../../../server/replication/cluster-listener.js';
import { STATE_KEY, type PrimaryState, type ReplicationState, type SecondaryState } from '../../../server/replication/replication-state.js';
import { ReplicationStateMachine } from '../../../server/replication/replication-state-machine.js';
import type { ClusterListener, ReplicationStream, RoleStore } from '../../../server/replication/role-ports.js';
import type { Activator } from '../../../server/replication/secondary-activator.js';
import { WalStorage } from '../../../server/replication/wal-storage.js';
import { invalidRequest, VaultError } from '../../../server/core/vault-error.js';
import { MemoryBackend } from '../../../server/storage/memory-backend.js';

/** In-process stand-ins for the cluster listener, the secondary stream and activation, for the role state machine. */

/** Everything the fakes did, in order, so tests can check what ran before what. */
export type Events = string[];

export class FakeListener implements ClusterListener {
  readonly connections = new Map<string, unknown>();
  readonly disconnected: string[] = [];
  isStopped = false;

  constructor(
    readonly state: PrimaryState,
    readonly hooks: ListenerHooks,
    private readonly events: Events,
  ) {}

  disconnect(secondaryId: string): void {
    this.disconnected.push(secondaryId);
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    this.events.push(`listener stopped (epoch ${this.state.epoch})`);
  }
}

export class FakeStream implements ReplicationStream {
  isConnected = false;
  isCatchingUp = false;
  isStopped = false;

  constructor(
    readonly state: SecondaryState,
    readonly onState: (next: SecondaryState) => void,
    private readonly events: Events,
  ) {}

  async stop(): Promise<void> {
    this.isStopped = true;
    this.events.push(`stream stopped (${this.state.secondaryId})`);
  }
}

/** Memory storage under a real WalStorage; the role is stored as JSON (the barrier is the core's business). */
class FailingBackend extends MemoryBackend {
  failStateWrites = false;

  override async transaction(ops: Parameters<MemoryBackend['transaction']>[0]): Promise<void> {
    if (this.failStateWrites && ops.some((op) => op.op === 'put' && op.key === STATE_KEY)) throw new Error('disk I/O error');
    return super.transaction(ops);
  }
}

export function bundleFor(overrides: Partial<ActivationBundle> = {}): ActivationBundle {
  return {
    id: 'sec-1',
    cluster_id: 'cluster-a',
    primary_cluster_addr: '127.0.0.1:1',
    primary_api_addr: 'http://127.0.0.1:2',
    ca_cert: 'CA',
    client_cert: 'CERT',
    client_key: 'KEY',
    epoch: 1,
    ...overrides,
  };
}

/** The secondary state an activation of `bundle` installs (what the primary's bootstrap would carry). */
export function installedState(bundle: ActivationBundle, lastRemoteWal = 7): SecondaryState {
  return {
    role: 'secondary',
    clusterId: bundle.cluster_id,
    epoch: bundle.epoch,
    secondaryId: bundle.id,
    ...(bundle.kind === 'dr' ? { kind: bundle.kind } : {}),
    primaryClusterAddr: bundle.primary_cluster_addr,
    primaryApiAddr: bundle.primary_api_addr,
    caCertPem: bundle.ca_cert,
    client: { certPem: bundle.client_cert, keyPem: bundle.client_key },
    lastRemoteWal,
  };
}

/** A state machine wired to fakes, with the knobs tests turn. */
export class Rig {
  readonly events: Events = [];
  readonly listeners: FakeListener[] = [];
  readonly streams: FakeStream[] = [];
  readonly notified: { old: SecondaryState; epoch: number; isStopped: boolean }[] = [];
  readonly backend = new FailingBackend();
  readonly wal = new WalStorage(this.backend, 1000);
  /** Set to make the next listener binds fail as a port in use does. */
  bindFailure: Error | undefined;
  /** When set, binding waits for it (to hold a role change part-way). */
  bindGate: Promise<void> | undefined;
  /** What the fake primary's unwrap answers. */
  unwrapped: ActivationBundle = bundleFor();
  installFailure: Error | undefined;
  modeDuringInstall: string | undefined;
  unwrapCalls = 0;
  /** What each listener's `current()` answered while it was being bound (before the role was stored). */
  readonly currentAtBind: unknown[] = [];
  readonly store: RoleStore = {
    load: async () => {
      const raw = await this.wal.get(STATE_KEY);
      return raw === undefined ? { role: 'disabled' } : (JSON.parse(raw.toString('utf8')) as ReplicationState);
    },
    save: (next) => this.wal.applyRemote([{ op: 'put', key: STATE_KEY, value: Buffer.from(JSON.stringify(next)) }]),
  };
  readonly machine: ReplicationStateMachine<FakeListener, FakeStream>;
  /** The DR primary role of a performance secondary, as stored. */
  relayStored: PrimaryState | undefined;

  /** A rig whose WAL is open and whose state machine has resumed (the role stored, if any). */
  static async started(): Promise<Rig> {
    const rig = new Rig();
    await rig.wal.open();
    await rig.machine.resume();
    return rig;
  }

  /** The role in memory and in storage, which must agree after every change. */
  async stored(): Promise<ReplicationState> {
    const state = await this.store.load();
    expect(this.machine.current).to.deep.equal(state);
    return state;
  }

  constructor() {
    const activator: Activator = {
      check: (token, primaryApiAddr, kind) => activationApiAddr(token, primaryApiAddr, kind),
      unwrap: async (_apiAddr: string, _token: string, _trust: TrustOptions) => {
        this.unwrapCalls++;
        return this.unwrapped;
      },
      // As the real one: seal (pause), commit the primary's state with the role, unseal (resume).
      install: async (bundle, _apiAddr, settle) => {
        this.modeDuringInstall = this.machine.mode();
        await this.machine.pause();
        if (this.installFailure !== undefined) {
          settle();
          await this.machine.resume();
          throw this.installFailure;
        }
        await this.store.save(installedState(bundle));
        settle();
        await this.machine.resume();
        return [];
      },
    };
    this.machine = new ReplicationStateMachine<FakeListener, FakeStream>({
      logger: pino({ level: 'silent' }),
      clusterAddr: '127.0.0.1:8201',
      ports: {
        store: this.store,
        relayStore: {
          load: async () => this.relayStored,
          save: async (next) => {
            this.relayStored = next;
          },
        },
        wal: this.wal,
        bindListener: async (state, hooks) => {
          this.events.push(`bind (epoch ${state.epoch})`);
          await this.bindGate;
          if (this.bindFailure !== undefined) throw this.bindFailure;
          this.currentAtBind.push(hooks.current());
          const listener = new FakeListener(state, hooks, this.events);
          this.listeners.push(listener);
          return listener;
        },
        startStream: (state, onState) => {
          this.events.push(`stream started (${state.secondaryId})`);
          const stream = new FakeStream(state, onState, this.events);
          this.streams.push(stream);
          return stream;
        },
        notifyOldPrimary: (old, epoch) => {
          const call = { old, epoch, isStopped: false };
          this.notified.push(call);
          return { stop: () => (call.isStopped = true) };
        },
        activator,
      },
    });
  }

  set failStateWrites(fail: boolean) {
    this.backend.failStateWrites = fail;
  }

  get lastListener(): FakeListener | undefined {
    return this.listeners.at(-1);
  }

  get lastStream(): FakeStream | undefined {
    return this.streams.at(-1);
  }

  /** The role the WAL storage plays, seen through what a replicated write does there. */
  async walRole(): Promise<'primary' | 'secondary' | 'off'> {
    const before = this.wal.lastWal;
    try {
      await this.wal.put('sys/probe', Buffer.from('x'));
    } catch (err) {
      if ((err as { code?: string }).code === 'read_only') return 'secondary';
      throw err;
    }
    return this.wal.lastWal > before ? 'primary' : 'off';
  }
}

/** A port in use, as the real listener reports it. */
export const portInUse = (): Error => invalidRequest('cluster address 127.0.0.1:8201 is already in use');

/** An activation token as the primary's wrapping shapes it (a JWT; the signature is never checked here), with extra claims. */
export function activationToken(claims: Record<string, unknown> = {}): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'ES512', typ: 'JWT' })}.${part({ type: 'wrapping', addr: 'http://127.0.0.1:2', exp: now + 600, ...claims })}.c2ln`;
}

/** The VaultError a role change is refused with (fails the test if it was not refused). */
export async function refusal(change: Promise<unknown>): Promise<VaultError> {
  const err = await change.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the change should have been refused').to.be.instanceOf(VaultError);
  return err as VaultError;
}
