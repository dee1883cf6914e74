import { expect } from 'chai';
import { TransportError } from '../../server/api-client/transport-error.js';
import { startDevServer, startSqliteServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';
import { startTcpProxy, type CutMode, type TcpProxy } from '../helpers/tcp-proxy.js';
import { requestWithDeadline, type Answer, type DeadlineRequestOptions } from '../helpers/deadline-request.js';

/**
 * Fault matrix (issue 5): a primary streams to a secondary while writers put unique values on the
 * primary; a fault hits mid-stream and is healed while the writers keep going. Faults: `kill -9`
 * of the primary and of the secondary (SQLite, where durability across a kill is the point),
 * SIGSTOP/SIGCONT of either side and a cut of the replication channel through a loopback TCP
 * proxy (dev servers). Every fault runs more than once.
 *
 * A history records every write as invoked, then ok (acknowledged), fail (certainly not applied:
 * connection refused, 4xx, sealed) or unknown (timeout, reset mid-request, 5xx). After each run
 * the checker reads every key on the primary (after its restarts) and, once converged, on the
 * secondary: acknowledged writes lost = 0 and failed writes applied = 0 on both, and both hold
 * the same set of writes. Each run prints how long the secondary took after healing to catch up
 * with what the primary had at that moment, and how long the pair took to converge (equal Merkle
 * roots, `last_remote_wal >= last_wal`) once the writers stopped; a table sums up at the end.
 */
describe('replication fault matrix: kill -9, SIGSTOP/SIGCONT and a cut channel, checked against a write history', function () {
  this.timeout(300_000);

  /** Writes must give up quickly: a stopped primary never answers (→ unknown). */
  const WRITE_TIMEOUT_MS = 1_500;
  const READ_TIMEOUT_MS = 5_000;
  const CONCURRENCY = 4;
  const RETRY_PAUSE_MS = 100;
  /** Pause after an acknowledged write: keeps ~200 writes/s, leaving CPU to the servers on 2 cores. */
  const WRITE_PAUSE_MS = 15;
  /** Acknowledged writes before the fault, and after healing, per run. */
  const ACKS_BEFORE = 40;
  const ACKS_AFTER = 40;
  const MAX_OPS_PER_RUN = 3_000;
  const WRITERS_MAX_MS = 60_000;
  const CATCH_UP_DEADLINE_MS = 30_000;
  const CONVERGE_DEADLINE_MS = 30_000;
  const RUNS = 3;
  const MOUNT = 'hist';
  const READER = { username: 'checker', password: 'checker-pass-5b1e' };

  type Outcome = 'invoked' | 'ok' | 'fail' | 'unknown';
  type Phase = 'before' | 'fault' | 'after';

  /** One write of a unique value to a key of its own. */
  interface Operation {
    readonly key: string;
    readonly value: string;
    readonly phase: Phase;
    outcome: Outcome;
    /** When the outcome became known (ms since the epoch). */
    settledAt?: number;
    /** Why a write was not acknowledged (status or error code), for the report. */
    detail?: string;
  }

  class History {
    readonly ops: Operation[] = [];
    phase: Phase = 'before';
    constructor(private readonly tag: string) {}

    invoke(): Operation {
      const n = this.ops.length;
      const op: Operation = {
        key: `${this.tag}-${n}`,
        value: `${this.tag}-${n}-${Math.random().toString(36).slice(2)}`,
        phase: this.phase,
        outcome: 'invoked',
      };
      this.ops.push(op);
      return op;
    }

    count(outcome: Outcome, phase?: Phase): number {
      return this.ops.filter((op) => op.outcome === outcome && (phase === undefined || op.phase === phase)).length;
    }

    /** Operations whose outcome became known at or after `since` (whenever they were invoked). */
    settledSince(outcome: Outcome, since: number): number {
      return this.ops.filter((op) => op.outcome === outcome && (op.settledAt ?? 0) >= since).length;
    }

    describe(phase?: Phase): string {
      return `${this.count('ok', phase)} ok / ${this.count('fail', phase)} fail / ${this.count('unknown', phase) + this.count('invoked', phase)} unknown`;
    }
  }

  interface Pair {
    readonly name: string;
    readonly primary: ServerHandle;
    readonly secondary: ServerHandle;
    readonly proxy?: TcpProxy;
  }

  /** A fault: `inject` breaks something while writers run, `heal` repairs it (restart, SIGCONT, heal). */
  interface Fault {
    readonly name: string;
    readonly holdMs: number;
    inject(pair: Pair): Promise<void>;
    heal(pair: Pair): Promise<void>;
    /**
     * Called just before `heal`, while the fault holds, with when it was injected: assertions that
     * the fault really bit.
     */
    whileFaulted?(pair: Pair, history: History, injectedAt: number): Promise<void>;
  }

  interface Audit {
    /** Acknowledged writes missing (or with another value). */
    readonly lost: string[];
    /** Writes that certainly failed, yet are there. */
    readonly phantom: string[];
    /** Writes with an unknown outcome that did land. */
    readonly unknownLanded: number;
    /** Keys of every write that is present. */
    readonly present: Set<string>;
  }

  interface RunResult {
    readonly fault: string;
    readonly run: number;
    readonly total: string;
    readonly duringFault: string;
    readonly behindAtHeal: number;
    readonly catchUpMs: number;
    readonly settleMs: number;
    readonly lostPrimary: number;
    readonly lostSecondary: number;
    readonly phantom: number;
    readonly unknownLanded: number;
  }

  const results: RunResult[] = [];
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  const call = (server: ServerHandle, method: string, path: string, options: Partial<DeadlineRequestOptions> = {}): Promise<Answer> =>
    requestWithDeadline(server, method, path, { timeoutMs: READ_TIMEOUT_MS, ...options });

  async function replicationStatus(server: ServerHandle): Promise<Record<string, any>> {
    const res = await call(server, 'GET', 'sys/replication/status', { token: null });
    if (res.status !== 200) throw new Error(`status answered ${res.status}: ${res.text}`);
    return res.body.data as Record<string, any>;
  }

  /** Puts one unique value and classifies the outcome; never throws. */
  async function write(server: ServerHandle, op: Operation): Promise<void> {
    try {
      const res = await call(server, 'POST', `${MOUNT}/data/${op.key}`, { body: { data: { v: op.value } }, timeoutMs: WRITE_TIMEOUT_MS });
      if (res.status === 200 || res.status === 204) op.outcome = 'ok';
      else if ((res.status >= 400 && res.status < 500) || (res.status === 503 && /sealed/i.test(res.text))) op.outcome = 'fail';
      else op.outcome = 'unknown';
      op.detail = String(res.status);
    } catch (err) {
      const code = err instanceof TransportError ? (err.code ?? err.failure) : (err as Error).name || 'error';
      // Refused: the request never left this process. Anything else may have reached the server.
      op.outcome = code === 'ECONNREFUSED' ? 'fail' : 'unknown';
      op.detail = code;
    }
  }

  /** CONCURRENCY writers of unique values, bounded in operations and time, until stopped. */
  function startWriters(server: ServerHandle, history: History): { done: Promise<void>; stop: () => void } {
    let stopped = false;
    const deadline = Date.now() + WRITERS_MAX_MS;
    const writer = async (): Promise<void> => {
      while (!stopped && Date.now() < deadline && history.ops.length < MAX_OPS_PER_RUN) {
        const op = history.invoke();
        await write(server, op);
        op.settledAt = Date.now();
        await sleep(op.outcome === 'ok' ? WRITE_PAUSE_MS : RETRY_PAUSE_MS);
      }
    };
    const done = Promise.all(Array.from({ length: CONCURRENCY }, writer)).then(() => undefined);
    return { done, stop: () => (stopped = true) };
  }

  async function waitForAcks(history: History, phase: Phase, count: number): Promise<void> {
    await waitFor(() => history.count('ok', phase) >= count, {
      timeoutMs: 30_000,
      description: `${count} acknowledged writes (${phase} the fault; so far ${history.describe(phase)})`,
    });
  }

  /** Reads the key of every operation; `token` is the root token (primary) or a reader's (secondary). */
  async function audit(server: ServerHandle, token: string, history: History): Promise<Audit> {
    const lost: string[] = [];
    const phantom: string[] = [];
    const present = new Set<string>();
    let unknownLanded = 0;
    for (let k = 0; k < history.ops.length; k += 16) {
      await Promise.all(
        history.ops.slice(k, k + 16).map(async (op) => {
          const res = await call(server, 'GET', `${MOUNT}/data/${op.key}`, { token });
          if (res.status !== 200 && res.status !== 404) throw new Error(`reading ${op.key} at ${server.addr}: ${res.status} ${res.text}`);
          const value = res.status === 200 ? (res.body?.data?.data?.v as unknown) : undefined;
          if (value !== undefined && value !== op.value) throw new Error(`${op.key} holds a value no writer wrote`);
          const isPresent = value === op.value;
          if (isPresent) present.add(op.key);
          if (op.outcome === 'ok' && !isPresent) lost.push(op.key);
          if (op.outcome === 'fail' && isPresent) phantom.push(`${op.key} (${op.detail ?? ''})`);
          if ((op.outcome === 'unknown' || op.outcome === 'invoked') && isPresent) unknownLanded++;
        }),
      );
    }
    return { lost, phantom, unknownLanded, present };
  }

  async function readerToken(secondary: ServerHandle): Promise<string> {
    const login = await call(secondary, 'POST', `auth/userpass/login/${READER.username}`, { token: null, body: { password: READER.password } });
    expect(login.status, `login on the secondary: ${login.text}`).to.equal(200);
    return login.body.auth.client_token as string;
  }

  /**
   * From the moment of healing: the primary's last WAL index as soon as it answers, then the time
   * until the secondary streams again and has applied up to that index.
   */
  async function measureCatchUp(pair: Pair, healedAt: number): Promise<{ catchUpMs: number; behindAtHeal: number }> {
    const target = await waitFor(async () => (await replicationStatus(pair.primary)).last_wal as number | undefined, {
      timeoutMs: CATCH_UP_DEADLINE_MS,
      description: 'the primary to report its last WAL index after healing',
    });
    let behindAtHeal: number | undefined;
    let last = '';
    try {
      await waitFor(
        async () => {
          const s = await replicationStatus(pair.secondary);
          last = `state=${s.state} connection=${s.connection_state} last_remote_wal=${s.last_remote_wal} (target ${target})`;
          behindAtHeal ??= Math.max(0, target - (s.last_remote_wal as number));
          return s.mode === 'secondary' && s.state === 'stream-wals' && s.last_remote_wal >= target;
        },
        { timeoutMs: CATCH_UP_DEADLINE_MS, intervalMs: 25, description: 'the secondary to catch up after healing' },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message} (last: ${last})`);
    }
    return { catchUpMs: Date.now() - healedAt, behindAtHeal: behindAtHeal ?? 0 };
  }

  /** Waits until the pair is in sync after the writers stopped; returns how long it took. */
  async function waitConverged(pair: Pair): Promise<number> {
    const started = Date.now();
    let last = '';
    try {
      await waitFor(
        async () => {
          const [p, s] = await Promise.all([replicationStatus(pair.primary), replicationStatus(pair.secondary)]);
          last = `primary last_wal=${p.last_wal} merkle=${p.merkle_root}; secondary state=${s.state} last_remote_wal=${s.last_remote_wal} merkle=${s.merkle_root}`;
          return (
            s.mode === 'secondary' &&
            s.state === 'stream-wals' &&
            typeof p.last_wal === 'number' &&
            s.last_remote_wal >= p.last_wal &&
            p.merkle_root === s.merkle_root
          );
        },
        { timeoutMs: CONVERGE_DEADLINE_MS, intervalMs: 50, description: 'primary and secondary to converge' },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message} (last: ${last})`);
    }
    return Date.now() - started;
  }

  /** Primary + secondary with a KV mount, a reader on userpass, the secondary activated and streaming. */
  async function startPair(name: string, kind: 'sqlite' | 'dev', options: { viaProxy?: boolean } = {}): Promise<Pair> {
    const start = () => (kind === 'sqlite' ? startSqliteServer() : startDevServer());
    const [primary, secondary] = await Promise.all([start(), start()]);
    const proxy = options.viaProxy ? await startTcpProxy({ port: primary.clusterPort }) : undefined;
    const setup: Array<[string, unknown]> = [
      [`sys/mounts/${MOUNT}`, { type: 'kv', options: { version: '2' } }],
      ['sys/policies/acl/hist-reader', { policy: `path "${MOUNT}/data/*" {\n  capabilities = ["read"]\n}\n` }],
      ['sys/auth/userpass', { type: 'userpass' }],
      [`auth/userpass/users/${READER.username}`, { password: READER.password, policies: 'hist-reader' }],
      // Through the proxy, the secondary dials the advertised address: the proxy's port.
      ['sys/replication/primary/enable', proxy ? { primary_cluster_addr: `https://127.0.0.1:${proxy.port}` } : {}],
    ];
    for (const [path, body] of setup) {
      const res = await call(primary, 'POST', path, { body });
      expect(res.status, `${path}: ${res.text}`).to.be.within(200, 204);
    }
    const tokenRes = await call(primary, 'POST', 'sys/replication/primary/secondary-token', { body: { id: 'dc2' } });
    expect(tokenRes.status, tokenRes.text).to.equal(200);
    const enable = await call(secondary, 'POST', 'sys/replication/secondary/enable', { body: { token: tokenRes.body.wrap_info.token }, timeoutMs: 30_000 });
    expect(enable.status, enable.text).to.be.within(200, 204);
    // The secondary now carries the primary's keyring and seal configuration; its old root token is gone.
    secondary.unsealKeys = primary.unsealKeys;
    secondary.unsealThreshold = primary.unsealThreshold;
    secondary.rootToken = '';
    const status = await waitFor(
      async () => {
        const s = await replicationStatus(secondary);
        return s.state === 'stream-wals' && s.connection_state === 'ready' ? s : undefined;
      },
      { timeoutMs: 20_000, description: 'the secondary to stream WALs' },
    );
    if (proxy) {
      expect(status.primary_cluster_addr).to.equal(`https://127.0.0.1:${proxy.port}`);
      expect(proxy.stats.forwarded, 'connections through the proxy').to.be.at.least(1);
    }
    return { name, primary, secondary, ...(proxy ? { proxy } : {}) };
  }

  async function stopPair(pair: Pair | undefined): Promise<void> {
    if (pair === undefined) return;
    // A stopped process would ignore SIGTERM until the helper's SIGKILL deadline.
    for (const s of [pair.primary, pair.secondary]) if (s.process?.pid !== undefined && s.process.exitCode === null) s.process.kill('SIGCONT');
    await pair.proxy?.close();
    await Promise.all([pair.primary.stop(), pair.secondary.stop()]);
  }

  function signal(server: ServerHandle, sig: 'SIGSTOP' | 'SIGCONT'): void {
    const child = server.process;
    if (child === undefined || child.exitCode !== null) throw new Error(`no running process to send ${sig} to`);
    expect(child.kill(sig), `${sig} delivered`).to.equal(true);
  }

  /** One run of one fault: history, fault while writing, heal, catch-up, convergence, audit of both sides. */
  async function runFault(pair: Pair, fault: Fault, run: number): Promise<void> {
    const history = new History(`${fault.name.replace(/\W+/g, '-')}-r${run}`);
    const writers = startWriters(pair.primary, history);
    let healed = false;
    let healedAt = 0;
    let catchUp: { catchUpMs: number; behindAtHeal: number };
    try {
      await waitForAcks(history, 'before', ACKS_BEFORE);
      const injectedAt = Date.now();
      await fault.inject(pair);
      // "During the fault": invoked once it had hit (a kill has been reaped, a signal delivered).
      history.phase = 'fault';
      try {
        await sleep(fault.holdMs);
        await fault.whileFaulted?.(pair, history, injectedAt);
      } finally {
        await fault.heal(pair);
        healed = true;
      }
      healedAt = Date.now();
      history.phase = 'after';
      catchUp = await measureCatchUp(pair, healedAt);
      await waitForAcks(history, 'after', ACKS_AFTER);
    } finally {
      writers.stop();
      await writers.done;
      if (!healed) await fault.heal(pair).catch(() => undefined);
    }
    const settleMs = await waitConverged(pair);
    const onPrimary = await audit(pair.primary, pair.primary.rootToken, history);
    const onSecondary = await audit(pair.secondary, await readerToken(pair.secondary), history);
    const divergent = history.ops.filter((op) => onPrimary.present.has(op.key) !== onSecondary.present.has(op.key)).map((op) => op.key);
    const result: RunResult = {
      fault: fault.name,
      run,
      total: history.describe(),
      duringFault: history.describe('fault'),
      behindAtHeal: catchUp.behindAtHeal,
      catchUpMs: catchUp.catchUpMs,
      settleMs,
      lostPrimary: onPrimary.lost.length,
      lostSecondary: onSecondary.lost.length,
      phantom: onPrimary.phantom.length + onSecondary.phantom.length,
      unknownLanded: onPrimary.unknownLanded,
    };
    results.push(result);
    console.log(
      `      ${fault.name} run ${run}: ${result.total} (during fault: ${result.duringFault}); ` +
        `${result.behindAtHeal} WAL entries behind at heal, caught up ${result.catchUpMs}ms after healing, converged ${settleMs}ms after the writers stopped; ` +
        `lost on primary ${result.lostPrimary}, on secondary ${result.lostSecondary}; failed-but-applied ${result.phantom}; unknown that landed ${result.unknownLanded}`,
    );
    expect(history.count('invoked'), 'operations without an outcome').to.equal(0);
    expect(onPrimary.lost, `acknowledged writes lost on the primary (${result.total})`).to.deep.equal([]);
    expect(onSecondary.lost, `acknowledged writes lost on the secondary (${result.total})`).to.deep.equal([]);
    expect([...onPrimary.phantom, ...onSecondary.phantom], 'writes that failed for certain yet were applied').to.deep.equal([]);
    expect(divergent, 'writes present on one side only after convergence').to.deep.equal([]);
  }

  after(() => {
    if (results.length === 0) return;
    const header = [
      'fault',
      'run',
      'writes ok/fail/unknown',
      'during fault',
      'behind at heal',
      'catch-up ms',
      'converge ms',
      'lost P',
      'lost S',
      'failed-applied',
      'unknown landed',
    ];
    const rows = results.map((r) => [
      r.fault,
      String(r.run),
      r.total,
      r.duringFault,
      String(r.behindAtHeal),
      String(r.catchUpMs),
      String(r.settleMs),
      String(r.lostPrimary),
      String(r.lostSecondary),
      String(r.phantom),
      String(r.unknownLanded),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
    const line = (cells: string[]) => '      ' + cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ');
    console.log('\n      replication fault matrix — during fault: writes invoked from the fault until healing finished; behind at heal: WAL entries;');
    console.log("      catch-up: healed → the secondary applied the primary's last WAL as of healing; converge: writers stopped → equal Merkle roots");
    console.log(line(header));
    console.log('      ' + widths.map((w) => '-'.repeat(w)).join('-+-'));
    for (const row of rows) console.log(line(row));
  });

  describe('kill -9 (SQLite primary and secondary: durability across a kill is the point)', () => {
    let pair: Pair | undefined;
    before(async () => {
      pair = await startPair('sqlite', 'sqlite');
    });
    after(async () => {
      await stopPair(pair);
    });

    const killPrimary: Fault = {
      name: 'kill -9 primary',
      holdMs: 500,
      inject: (p) => p.primary.kill9(),
      heal: (p) => p.primary.restart(), // unseals with its own keys
      async whileFaulted(_p, history) {
        expect(history.count('ok', 'fault'), 'writes acknowledged by a killed primary').to.equal(0);
        expect(history.count('fail', 'fault'), 'writes refused while the primary is down').to.be.above(0);
      },
    };
    const killSecondary: Fault = {
      name: 'kill -9 secondary',
      holdMs: 1_000,
      inject: (p) => p.secondary.kill9(),
      heal: (p) => p.secondary.restart(), // unseals with the primary's keys
      async whileFaulted(_p, history) {
        expect(history.count('ok', 'fault'), 'writes acknowledged while the secondary is down').to.be.above(0);
      },
    };
    for (let run = 1; run <= RUNS; run++) {
      it(`kill -9 of the primary mid-stream, run ${run}: restarted, the secondary reconnects and converges; 0 acknowledged writes lost on either side`, async () => {
        await runFault(pair as Pair, killPrimary, run);
      });
      it(`kill -9 of the secondary mid-stream, run ${run}: restarted, it resumes and converges; 0 acknowledged writes lost on either side`, async () => {
        await runFault(pair as Pair, killSecondary, run);
      });
    }
  });

  describe('SIGSTOP/SIGCONT (dev servers)', () => {
    let pair: Pair | undefined;
    before(async () => {
      pair = await startPair('dev', 'dev');
    });
    after(async () => {
      await stopPair(pair);
    });

    const stopPrimary: Fault = {
      name: 'SIGSTOP primary 2s',
      holdMs: 2_000,
      inject: async (p) => signal(p.primary, 'SIGSTOP'),
      heal: async (p) => signal(p.primary, 'SIGCONT'),
      async whileFaulted(_p, history, injectedAt) {
        // A stopped primary acknowledges nothing: the writes in flight time out as unknown.
        expect(history.settledSince('ok', injectedAt + 100), 'writes acknowledged by a stopped primary').to.equal(0);
        expect(history.settledSince('unknown', injectedAt), 'writes timed out against the stopped primary').to.be.above(0);
      },
    };
    const stopSecondary: Fault = {
      name: 'SIGSTOP secondary 2s',
      holdMs: 2_000,
      inject: async (p) => signal(p.secondary, 'SIGSTOP'),
      heal: async (p) => signal(p.secondary, 'SIGCONT'),
      async whileFaulted(p, history) {
        expect(history.count('ok', 'fault'), 'writes acknowledged while the secondary is stopped').to.be.above(0);
        const answer = await call(p.secondary, 'GET', 'sys/replication/status', { token: null, timeoutMs: 300 }).then(
          () => 'answered',
          () => 'no answer',
        );
        expect(answer, 'a stopped secondary').to.equal('no answer');
      },
    };
    for (let run = 1; run <= RUNS; run++) {
      it(`SIGSTOP of the primary for 2s, run ${run}: writes in flight end as unknown; after SIGCONT the pair converges, 0 acknowledged writes lost`, async () => {
        await runFault(pair as Pair, stopPrimary, run);
      });
      it(`SIGSTOP of the secondary for 2s, run ${run}: after SIGCONT it catches up and converges, 0 acknowledged writes lost`, async () => {
        await runFault(pair as Pair, stopSecondary, run);
      });
    }
  });

  describe('a cut of the replication channel (dev servers, streaming through a loopback TCP proxy)', () => {
    let pair: Pair | undefined;
    before(async () => {
      pair = await startPair('dev via proxy', 'dev', { viaProxy: true });
    });
    after(async () => {
      await stopPair(pair);
    });

    const cut = (mode: CutMode): Fault => ({
      name: `cut channel 2s (${mode})`,
      holdMs: 2_000,
      inject: async (p) => {
        const before = p.proxy?.stats.severed ?? 0;
        p.proxy?.cut(mode);
        expect(p.proxy?.stats.severed, 'live replication connections severed by the cut').to.be.above(before);
      },
      heal: async (p) => p.proxy?.heal(),
      async whileFaulted(p, history) {
        // The primary keeps acknowledging, and nothing reaches the secondary.
        expect(history.count('ok', 'fault'), 'writes acknowledged during the cut').to.be.above(0);
        const [ps, ss] = await Promise.all([replicationStatus(p.primary), replicationStatus(p.secondary)]);
        expect(ss.connection_state, 'the secondary notices the cut').to.not.equal('ready');
        expect(ss.last_remote_wal, 'the secondary is behind during the cut').to.be.below(ps.last_wal);
      },
    });
    // New connections during the cut are held silent (packets dropped) or reset (rejected).
    const runs: Array<[CutMode, number]> = [
      ['blackhole', 1],
      ['reset', 1],
      ['blackhole', 2],
      ['reset', 2],
    ];
    for (const [mode, run] of runs) {
      it(`a 2s cut (${mode} new connections) while writes continue, run ${run}: after healing the secondary resumes and converges, 0 acknowledged writes lost`, async () => {
        await runFault(pair as Pair, cut(mode), run);
      });
    }
  });
});
