import { expect } from 'chai';
import { TransportError } from '../../server/api-client/transport-error.js';
import { decodeRootToken, generateRoot } from '../helpers/generate-root.js';
import { startSqliteServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';
import { requestWithDeadline, type Answer, type DeadlineRequestOptions } from '../helpers/deadline-request.js';
import { activateSecondary } from '../helpers/secondary-activation.js';

/**
 * The recovery point of DR replication, measured: SQLite primary and DR secondary, writers putting
 * unique values on the primary, `kill -9` of the primary, promotion of the DR secondary with a DR
 * operation token generated from the primary's unseal key shares, then a
 * write-history checker reading every key on the promoted cluster. Asynchronous streaming reports
 * the lost window (acknowledged writes missing, and how long before the kill the oldest of them was
 * acknowledged); with `replication { dr_synchronous = true }` no acknowledged write may be missing.
 * Then the rule when no DR secondary acknowledges: a 503 after `dr_synchronous_timeout`, the write
 * committed on the primary, reads and replication administration never held, and a performance
 * secondary's acknowledgements never counting.
 */
describe('synchronous DR: the recovery point of a kill -9, asynchronous and synchronous', function () {
  this.timeout(240_000);

  const MOUNT = 'hist';
  const CONCURRENCY = 4;
  const WRITE_TIMEOUT_MS = 3_000;
  const WRITE_PAUSE_MS = 10;
  const ACKS_BEFORE_KILL = 150;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const servers: ServerHandle[] = [];

  type Outcome = 'invoked' | 'ok' | 'fail' | 'unknown';
  interface Operation {
    readonly key: string;
    readonly value: string;
    outcome: Outcome;
    ackedAt?: number;
  }
  interface RecoveryPoint {
    readonly mode: string;
    readonly acknowledged: number;
    readonly lost: number;
    /** From the acknowledgement of the oldest lost write to the kill; 0 when nothing was lost. */
    readonly windowMs: number;
    readonly unknownLanded: number;
    readonly writesPerSecond: number;
  }
  const report: RecoveryPoint[] = [];

  const call = (server: ServerHandle, method: string, path: string, options: Partial<DeadlineRequestOptions> = {}): Promise<Answer> =>
    requestWithDeadline(server, method, path, { timeoutMs: 10_000, ...options });

  async function status(server: ServerHandle, kind: 'dr' | 'performance' = 'dr'): Promise<Record<string, any>> {
    return (await call(server, 'GET', `sys/replication/${kind}/status`, { token: null })).body.data as Record<string, any>;
  }

  /** The DR operation token flow on a DR secondary: an attempt, the primary's key shares, the OTP. */
  async function drOperationToken(secondary: ServerHandle): Promise<string> {
    const base = 'sys/replication/dr/secondary/generate-operation-token';
    const started = await call(secondary, 'POST', `${base}/attempt`, { token: null, body: {} });
    expect(started.status, started.text).to.equal(200);
    let last = started;
    for (const key of secondary.unsealKeys.slice(0, secondary.unsealThreshold)) {
      last = await call(secondary, 'POST', `${base}/update`, { token: null, body: { key, nonce: started.body.nonce } });
      expect(last.status, last.text).to.equal(200);
    }
    expect(last.body.complete).to.equal(true);
    return decodeRootToken(last.body.encoded_token as string, started.body.otp as string);
  }

  async function setUp(server: ServerHandle, steps: Array<[string, unknown]>): Promise<void> {
    for (const [path, body] of steps) {
      const res = await call(server, 'POST', path, { body });
      expect(res.status, `${path}: ${res.text}`).to.be.within(200, 204);
    }
  }

  /** A primary (with `extraConfig`) and a DR secondary activated from it and streaming. */
  async function startPair(extraConfig: string): Promise<{ primary: ServerHandle; secondary: ServerHandle }> {
    const [primary, secondary] = await Promise.all([startSqliteServer({ extraConfig }), startSqliteServer()]);
    servers.push(primary, secondary);
    await setUp(primary, [
      [`sys/mounts/${MOUNT}`, { type: 'kv', options: { version: '2' } }],
      ['sys/replication/dr/primary/enable', {}],
    ]);
    await activateSecondary(primary, secondary, 'dr-twin', { kind: 'dr', timeoutMs: 20_000 });
    return { primary, secondary };
  }

  async function write(server: ServerHandle, op: Operation): Promise<void> {
    try {
      const res = await call(server, 'POST', `${MOUNT}/data/${op.key}`, { body: { data: { v: op.value } }, timeoutMs: WRITE_TIMEOUT_MS });
      op.outcome = res.status === 200 ? 'ok' : res.status >= 400 && res.status < 500 ? 'fail' : 'unknown';
      if (op.outcome === 'ok') op.ackedAt = Date.now();
    } catch (err) {
      op.outcome = err instanceof TransportError && err.code === 'ECONNREFUSED' ? 'fail' : 'unknown';
    }
  }

  /** Writers of unique values until `kill` is called; returns the history and the kill time. */
  async function writeUntilKilled(primary: ServerHandle, tag: string): Promise<{ ops: Operation[]; killedAt: number; writesPerSecond: number }> {
    const ops: Operation[] = [];
    let isKilled = false;
    const started = Date.now();
    const writer = async (): Promise<void> => {
      while (!isKilled) {
        const op: Operation = { key: `${tag}-${ops.length}`, value: `${tag}-${ops.length}-${Math.random().toString(36).slice(2)}`, outcome: 'invoked' };
        ops.push(op);
        await write(primary, op);
        await sleep(op.outcome === 'ok' ? WRITE_PAUSE_MS : 50);
      }
    };
    const writers = Promise.all(Array.from({ length: CONCURRENCY }, writer));
    await waitFor(() => ops.filter((op) => op.outcome === 'ok').length >= ACKS_BEFORE_KILL, {
      timeoutMs: 60_000,
      intervalMs: 5,
      description: `${ACKS_BEFORE_KILL} acknowledged writes`,
    });
    // The kill lands while writes are in flight: some acknowledged a moment ago, some not yet answered.
    const acked = ops.filter((op) => op.outcome === 'ok').length;
    const writesPerSecond = Math.round((acked * 1000) / (Date.now() - started));
    const kill = primary.kill9();
    const killedAt = Date.now();
    await kill;
    isKilled = true;
    await writers;
    return { ops, killedAt, writesPerSecond };
  }

  /**
   * Promotes the DR secondary with a DR operation token (force: its primary is gone, so it cannot
   * know it has caught up) and reads every key of the history there.
   */
  async function promoteAndAudit(
    secondary: ServerHandle,
    mode: string,
    run: { ops: Operation[]; killedAt: number; writesPerSecond: number },
  ): Promise<RecoveryPoint> {
    await waitFor(async () => (await status(secondary)).connection_state !== 'ready', { timeoutMs: 20_000, description: 'the secondary to notice' });
    const operationToken = await drOperationToken(secondary);
    const promote = await call(secondary, 'POST', 'sys/replication/dr/secondary/promote', {
      token: null,
      body: { dr_operation_token: operationToken, force: true },
    });
    expect(promote.status, promote.text).to.be.within(200, 204);
    expect((await status(secondary)).mode).to.equal('primary');
    const root = await generateRoot(secondary, secondary.unsealKeys.slice(0, secondary.unsealThreshold));
    expect(root.token, `generate-root on the promoted cluster: ${root.errors?.join(', ') ?? root.status}`).to.be.a('string');
    secondary.rootToken = root.token as string;
    const lost: Operation[] = [];
    let unknownLanded = 0;
    for (let k = 0; k < run.ops.length; k += 16) {
      await Promise.all(
        run.ops.slice(k, k + 16).map(async (op) => {
          const res = await call(secondary, 'GET', `${MOUNT}/data/${op.key}`);
          expect(res.status, `${op.key}: ${res.text}`).to.be.oneOf([200, 404]);
          const value = res.status === 200 ? (res.body?.data?.data?.v as unknown) : undefined;
          // One write per key, each of a unique value: anything else is a value written twice or invented.
          if (value !== undefined) expect(value, `${op.key} holds the value written to it`).to.equal(op.value);
          expect(res.status === 200 ? res.body?.data?.metadata?.version : 1, `${op.key} written once`).to.equal(1);
          if (op.outcome === 'ok' && value === undefined) lost.push(op);
          if (op.outcome !== 'ok' && value !== undefined) unknownLanded += 1;
        }),
      );
    }
    const oldestLostAck = Math.min(...lost.map((op) => op.ackedAt as number));
    const point: RecoveryPoint = {
      mode,
      acknowledged: run.ops.filter((op) => op.outcome === 'ok').length,
      lost: lost.length,
      windowMs: lost.length === 0 ? 0 : run.killedAt - oldestLostAck,
      unknownLanded,
      writesPerSecond: run.writesPerSecond,
    };
    report.push(point);
    // Promoted: it takes writes at once.
    const after = await call(secondary, 'POST', `${MOUNT}/data/after-promotion`, { body: { data: { v: 'x' } } });
    expect(after.status, after.text).to.equal(200);
    return point;
  }

  after(async () => {
    if (report.length > 0) {
      console.log('\n      recovery point of a kill -9 of the primary (SQLite pair, 4 writers):');
      for (const r of report) {
        console.log(
          `        ${r.mode.padEnd(13)} ${String(r.acknowledged).padStart(4)} acknowledged (${r.writesPerSecond}/s), ${r.lost} lost, window ${r.windowMs} ms, ${r.unknownLanded} unanswered writes landed`,
        );
      }
    }
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('asynchronous: reports the lost window; whatever was lost was acknowledged in the last moments before the kill', async () => {
    const { primary, secondary } = await startPair('');
    const run = await writeUntilKilled(primary, 'async');
    const point = await promoteAndAudit(secondary, 'asynchronous', run);
    // The stream ships each commit within milliseconds: a loss can only be the tail.
    expect(point.windowMs, 'the oldest lost write was acknowledged shortly before the kill').to.be.below(2_000);
  });

  it('dr_synchronous = true: 0 acknowledged writes lost', async () => {
    const { primary, secondary } = await startPair('replication {\n  dr_synchronous = true\n  dr_synchronous_timeout = "10s"\n}');
    const run = await writeUntilKilled(primary, 'sync');
    const point = await promoteAndAudit(secondary, 'synchronous', run);
    expect(point.acknowledged).to.be.at.least(ACKS_BEFORE_KILL);
    expect(point.lost, 'acknowledged writes missing on the promoted secondary').to.equal(0);
  });

  it('with no DR secondary acknowledging: 503 after the timeout with the write committed; reads, tokens and replication administration are not held; performance secondaries do not count', async () => {
    const primary = await startSqliteServer({ extraConfig: 'replication {\n  dr_synchronous = true\n  dr_synchronous_timeout = "1s"\n}' });
    servers.push(primary);
    // Replication not enabled yet: nothing travels, nothing waits.
    await setUp(primary, [[`sys/mounts/${MOUNT}`, { type: 'kv', options: { version: '2' } }]]);
    expect((await call(primary, 'POST', `${MOUNT}/data/before`, { body: { data: { v: 'b' } } })).status).to.equal(200);
    await setUp(primary, [
      ['sys/replication/dr/primary/enable', {}],
      ['sys/replication/performance/primary/enable', {}],
    ]);

    const started = Date.now();
    const refused = await call(primary, 'POST', `${MOUNT}/data/alone`, { body: { data: { v: 'committed-value-7f3a' } } });
    const tookMs = Date.now() - started;
    expect(refused.status, refused.text).to.equal(503);
    expect(refused.body.errors[0]).to.match(/committed on this primary, but no DR secondary acknowledged it within 1s/);
    expect(refused.text, 'the error never echoes the value').to.not.include('7f3a');
    expect(tookMs).to.be.within(900, 5_000);
    // Committed: a read (never held) sees it at once.
    const readStarted = Date.now();
    const read = await call(primary, 'GET', `${MOUNT}/data/alone`);
    expect(read.status).to.equal(200);
    expect(read.body.data.data.v).to.equal('committed-value-7f3a');
    expect(Date.now() - readStarted).to.be.below(900);
    // A token is cluster-local state: it streams to DR secondaries asynchronously and is not held.
    const tokenStarted = Date.now();
    const created = await call(primary, 'POST', 'auth/token/create', { body: { ttl: '1h' } });
    expect(created.status, created.text).to.equal(200);
    expect(Date.now() - tokenStarted).to.be.below(900);

    // A performance secondary streams and acknowledges nothing that counts: still 503.
    const performance = await startSqliteServer();
    servers.push(performance);
    await activateSecondary(primary, performance, 'regional', { kind: 'performance', timeoutMs: 20_000 });
    const stillRefused = await call(primary, 'POST', `${MOUNT}/data/perf-only`, { body: { data: { v: 'p' } } });
    expect(stillRefused.status, stillRefused.text).to.equal(503);
    // ...although the write did reach it.
    await waitFor(async () => (await status(performance, 'performance')).last_remote_wal >= (await status(primary, 'performance')).last_wal, {
      timeoutMs: 20_000,
      description: 'the performance secondary to have the write',
    });

    // Replication administration is never held: it is how a DR secondary gets connected.
    const dr = await startSqliteServer();
    servers.push(dr);
    await activateSecondary(primary, dr, 'late-twin', { kind: 'dr', timeoutMs: 20_000 });
    const metrics = await call(primary, 'GET', 'sys/metrics?format=prometheus');
    expect(metrics.text).to.match(/ferry_replication_dr_sync_timeouts_total 2\b/);
    // Once the DR secondary streams and acknowledges, writes are answered again, promptly: ten
    // sequential writes, where acknowledgements riding on the 1 s heartbeat would take about 5 s.
    const acceptedStarted = Date.now();
    for (let i = 0; i < 10; i++) {
      const accepted = await call(primary, 'POST', `${MOUNT}/data/joined-${i}`, { body: { data: { v: 'j' } } });
      expect(accepted.status, accepted.text).to.equal(200);
    }
    expect(Date.now() - acceptedStarted, 'acknowledged without waiting for a heartbeat').to.be.below(3_000);

    // The DR secondary goes away: writes wait out the timeout and are refused again.
    await dr.kill9();
    const orphan = await call(primary, 'POST', `${MOUNT}/data/orphan`, { body: { data: { v: 'o' } } });
    expect(orphan.status, orphan.text).to.equal(503);
  });
});
