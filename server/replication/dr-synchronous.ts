import type { Logger } from 'pino';
import { VaultError } from '../core/vault-error.js';
import { SyncAckWaiter } from './sync-ack-waiter.js';
import type { WalStorage } from './wal-storage.js';

export interface DrSynchronousOptions {
  readonly wal: Pick<WalStorage, 'trackWrites'>;
  readonly logger: Logger;
  /** `dr_synchronous_timeout`. */
  readonly timeoutSeconds: number;
  /** Whether a secondary's acknowledgements count (a DR secondary still known to this primary). */
  readonly isEligible: (secondaryId: string) => boolean;
  /** Whether this cluster is a primary now (only a primary's writes wait). */
  readonly isPrimary: () => boolean;
}

/**
 * `replication { dr_synchronous = true }`: a client request that committed writes of replicated
 * state (secrets, policies, mounts, auth configuration: what every secondary receives) is answered
 * only once a DR secondary has acknowledged the last of them as committed in its own storage
 * (recovery point zero for that state). Nothing else waits: reads; requests that wrote only
 * cluster-local state (tokens, leases, wrapping tokens), which streams to DR secondaries
 * asynchronously as before, so logins stay fast and a DR secondary's activation (an unwrap on this
 * primary) never waits for itself; and the engine's own writes (lease expiry, tidying), which
 * never pass through here.
 *
 * When no acknowledgement arrives within the timeout (no DR secondary connected, or one too far
 * behind) the client gets a 503: the write *is* committed on the primary — as with PostgreSQL's
 * synchronous replication — but it is not yet safe from the loss of this cluster, and the client
 * is told so instead of being told "done". Writing resumes as soon as a DR secondary acknowledges.
 */
export class DrSynchronous {
  readonly acks: SyncAckWaiter;
  private readonly log: Logger;
  private timeouts = 0;
  private waits = 0;

  constructor(private readonly options: DrSynchronousOptions) {
    this.acks = new SyncAckWaiter(options.isEligible);
    this.log = options.logger.child({ module: 'replication-dr-synchronous' });
  }

  /**
   * Runs one client request and holds its answer until its replicated writes are acknowledged.
   * `sys/replication/*` requests are not held.
   */
  async handle<T>(path: string, run: () => Promise<T>): Promise<T> {
    // Replication's own administration never waits: it is how a DR secondary gets connected.
    if (!this.options.isPrimary() || path.startsWith('sys/replication/')) return run();
    const { result, lastReplicatedWal } = await this.options.wal.trackWrites(run);
    if (lastReplicatedWal === 0) return result;
    this.waits += 1;
    if (await this.acks.waitFor(lastReplicatedWal, this.options.timeoutSeconds * 1000)) return result;
    this.timeouts += 1;
    this.log.warn({ wal_index: lastReplicatedWal, timeout_seconds: this.options.timeoutSeconds }, 'no DR secondary acknowledged a synchronous write in time');
    throw new VaultError(
      'unacknowledged',
      `the write was committed on this primary, but no DR secondary acknowledged it within ${this.options.timeoutSeconds}s ` +
        '(replication dr_synchronous = true); it is not yet safe from the loss of this cluster',
    );
  }

  /** Prometheus lines for the synchronous DR counters. */
  metrics(): string {
    const lines: string[] = [];
    const metric = (name: string, help: string, type: 'gauge' | 'counter', value: number) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
    metric('ferry_replication_dr_sync_waits_total', 'Client writes that waited for a DR acknowledgement', 'counter', this.waits);
    metric('ferry_replication_dr_sync_timeouts_total', 'Client writes answered 503: no DR acknowledgement in time', 'counter', this.timeouts);
    metric('ferry_replication_dr_sync_pending', 'Client writes waiting for a DR acknowledgement now', 'gauge', this.acks.pending);
    metric('ferry_replication_dr_sync_durable_wal', 'Highest WAL index a DR secondary acknowledged', 'gauge', this.acks.durableWal());
    return lines.join('\n') + '\n';
  }
}
