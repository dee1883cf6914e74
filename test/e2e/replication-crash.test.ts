import { expect } from 'chai';
import { startSqliteServer, waitFor, type ApiResponse, type ServerHandle } from '../helpers/test-cluster.js';
import { activateSecondary } from '../helpers/secondary-activation.js';

/**
 * Crash convergence (issue 4): a SQLite primary streams to a SQLite secondary while a writer puts
 * unique values on the primary. `kill -9` of the secondary (then of the primary) mid-stream, restart
 * and unseal (the secondary with the primary's keys): the pair converges (equal Merkle roots,
 * secondary's last_remote_wal ≥ primary's last_wal) and a history check finds every acknowledged
 * write on the secondary — 0 lost. Writes cut off by the kill may land either way.
 */
describe('replication convergence after kill -9 (SQLite primary and secondary)', function () {
  this.timeout(180_000);

  const REQUEST_TIMEOUT_MS = 10_000;
  const CONVERGE_DEADLINE_MS = 30_000;
  const CONCURRENCY = 4;
  const MOUNT = 'hist';
  const READER = { username: 'checker', password: 'checker-pass-8d2f' };

  type Outcome = 'invoked' | 'ok' | 'fail';
  interface History {
    readonly outcomes: Map<number, Outcome>;
    readonly values: Map<number, string>;
  }

  let primary: ServerHandle;
  let secondary: ServerHandle;
  let nextIndex = 0;

  async function call(server: ServerHandle, method: string, path: string, options: Parameters<ServerHandle['request']>[2] = {}): Promise<ApiResponse> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${method} ${path} at ${server.addr} took longer than ${REQUEST_TIMEOUT_MS}ms`)), REQUEST_TIMEOUT_MS);
    });
    try {
      return await Promise.race([server.request(method, path, options), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function replicationStatus(server: ServerHandle): Promise<Record<string, any>> {
    const res = await call(server, 'GET', 'sys/replication/status', { token: null });
    if (res.status !== 200) throw new Error(`status answered ${res.status}: ${res.text}`);
    return res.body.data as Record<string, any>;
  }

  /** Waits until the pair is in sync; returns how long it took. */
  async function waitConverged(): Promise<number> {
    const started = Date.now();
    let last = '';
    try {
      await waitFor(
        async () => {
          const [p, s] = await Promise.all([replicationStatus(primary), replicationStatus(secondary)]);
          last = `primary last_wal=${p.last_wal} merkle=${p.merkle_root}; secondary state=${s.state} last_remote_wal=${s.last_remote_wal} merkle=${s.merkle_root}`;
          return s.mode === 'secondary' && typeof p.last_wal === 'number' && s.last_remote_wal >= p.last_wal && p.merkle_root === s.merkle_root;
        },
        { timeoutMs: CONVERGE_DEADLINE_MS, intervalMs: 100, description: 'primary and secondary to converge' },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message} (last: ${last})`);
    }
    return Date.now() - started;
  }

  /**
   * Runs CONCURRENCY writers of unique values against the primary until `stop()` is called; `crash`
   * runs once `crashAfterAcks` writes were acknowledged, while writers keep going.
   */
  async function runWriters(history: History, crashAfterAcks: number, crash: () => Promise<void>, acksAfterCrash: number): Promise<void> {
    let acks = 0;
    let acksAtCrashEnd = -1;
    let crashing: Promise<void> | undefined;
    const done = (): boolean => acksAtCrashEnd >= 0 && acks >= acksAtCrashEnd + acksAfterCrash;
    const writer = async (): Promise<void> => {
      while (!done()) {
        const i = nextIndex++;
        const value = `v-${i}-${Math.random().toString(36).slice(2)}`;
        history.outcomes.set(i, 'invoked');
        history.values.set(i, value);
        let ok = false;
        try {
          const res = await call(primary, 'POST', `${MOUNT}/data/h${i}`, { body: { data: { v: value } } });
          ok = res.status === 200;
        } catch {
          ok = false; // connection refused / reset / timeout: no answer, outcome unknown
        }
        if (ok) {
          history.outcomes.set(i, 'ok');
          acks++;
        } else {
          history.outcomes.set(i, 'fail');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        if (acks >= crashAfterAcks && crashing === undefined) {
          crashing = crash().then(() => {
            acksAtCrashEnd = acks;
          });
        }
      }
    };
    const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('writers did not finish within 90s')), 90_000).unref());
    await Promise.race([Promise.all(Array.from({ length: CONCURRENCY }, writer)), deadline]);
    await crashing;
  }

  /** Reads every acknowledged key on the secondary with a secondary-issued userpass token. */
  async function lostOnSecondary(history: History): Promise<number[]> {
    const login = await call(secondary, 'POST', `auth/userpass/login/${READER.username}`, { token: null, body: { password: READER.password } });
    expect(login.status, `login on the secondary: ${login.text}`).to.equal(200);
    const token = login.body.auth.client_token as string;
    const acked = [...history.outcomes].filter(([, o]) => o === 'ok').map(([i]) => i);
    const lost: number[] = [];
    for (let k = 0; k < acked.length; k += 16) {
      await Promise.all(
        acked.slice(k, k + 16).map(async (i) => {
          const res = await call(secondary, 'GET', `${MOUNT}/data/h${i}`, { token });
          if (res.status !== 200 || res.body?.data?.data?.v !== history.values.get(i)) lost.push(i);
        }),
      );
    }
    return lost.sort((a, b) => a - b);
  }

  const summary = (h: History): string => {
    const counts = { ok: 0, fail: 0, invoked: 0 };
    for (const o of h.outcomes.values()) counts[o]++;
    return `${counts.ok} acknowledged, ${counts.fail} failed/unknown, ${counts.invoked} unanswered`;
  };

  before(async () => {
    [primary, secondary] = await Promise.all([startSqliteServer(), startSqliteServer()]);
    const setup: Array<[string, unknown]> = [
      [`sys/mounts/${MOUNT}`, { type: 'kv', options: { version: '2' } }],
      ['sys/policies/acl/hist-reader', { policy: `path "${MOUNT}/data/*" {\n  capabilities = ["read"]\n}\n` }],
      ['sys/auth/userpass', { type: 'userpass' }],
      [`auth/userpass/users/${READER.username}`, { password: READER.password, policies: 'hist-reader' }],
      ['sys/replication/primary/enable', {}],
    ];
    for (const [path, body] of setup) {
      const res = await call(primary, 'POST', path, { body });
      expect(res.status, `${path}: ${res.text}`).to.be.within(200, 204);
    }
    await activateSecondary(primary, secondary, 'dc2');
  });

  after(async () => {
    await Promise.all([primary?.stop(), secondary?.stop()]);
  });

  it('kill -9 of the secondary mid-stream: converges, 0 acknowledged writes lost', async () => {
    const history: History = { outcomes: new Map(), values: new Map() };
    await runWriters(
      history,
      60,
      async () => {
        await secondary.kill9();
        // Writes keep flowing to the primary while the secondary is down.
        await new Promise((resolve) => setTimeout(resolve, 500));
        await secondary.restart(); // unseals with the primary's keys
      },
      60,
    );
    const ms = await waitConverged();
    const lost = await lostOnSecondary(history);
    console.log(`      secondary kill -9: ${summary(history)}; converged ${ms}ms after the writers stopped; lost ${lost.length}`);
    expect(lost, `acknowledged writes missing on the secondary (${summary(history)})`).to.deep.equal([]);
  });

  it('kill -9 of the primary mid-stream: the secondary reconnects by itself, converges, 0 acknowledged writes lost', async () => {
    const history: History = { outcomes: new Map(), values: new Map() };
    await runWriters(
      history,
      60,
      async () => {
        await primary.kill9();
        await new Promise((resolve) => setTimeout(resolve, 500));
        await primary.restart(); // unseals with its own keys
      },
      60,
    );
    const ms = await waitConverged();
    const lost = await lostOnSecondary(history);
    console.log(`      primary kill -9: ${summary(history)}; converged ${ms}ms after the writers stopped; lost ${lost.length}`);
    expect(lost, `acknowledged writes missing on the secondary (${summary(history)})`).to.deep.equal([]);
    const status = await replicationStatus(secondary);
    expect(status.state).to.equal('stream-wals');
  });
});
