import { expect } from 'chai';
import { startSqliteServer, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * Crash durability: every write the server acknowledged before a `kill -9` is there after restart
 * and unseal. Writes in flight at the kill may be present or absent, but never corrupted.
 */
describe('durability of acknowledged writes across kill -9 (SQLite)', function () {
  this.timeout(120_000);

  const TOTAL_WRITES = 200;
  const KILL_AFTER_ACKS = 120;
  const CONCURRENCY = 8;

  type Outcome = 'acknowledged' | 'failed' | 'in-flight' | 'not-sent';
  let server: ServerHandle;
  const outcomes = new Map<number, Outcome>();
  const acknowledgedTokens: string[] = [];

  const policyText = (i: number): string => `path "secret/durability/${i}" {\n  capabilities = ["read", "list"]\n}\n`;

  before(async () => {
    server = await startSqliteServer();
    let next = 0;
    let acks = 0;
    let killed: Promise<void> | undefined;

    // CONCURRENCY writers share a counter; once enough writes are acknowledged, the next write sent
    // is followed by a kill -9, so at least that one (and whatever the others sent) is in flight. (A
    // kill on the acknowledgement itself could find nothing in flight: the writers' writes commit in
    // one group and are answered together.)
    const writer = async (): Promise<void> => {
      while (next < TOTAL_WRITES && killed === undefined) {
        const i = next++;
        outcomes.set(i, 'in-flight');
        const answer = server.request('PUT', `sys/policies/acl/durable-${i}`, { body: { policy: policyText(i) } });
        if (acks >= KILL_AFTER_ACKS && killed === undefined) {
          // One turn of the event loop puts the request on the wire; the answer needs a commit.
          await new Promise((resolve) => setImmediate(resolve));
          killed = server.kill9();
        }
        try {
          const res = await answer;
          outcomes.set(i, res.status === 204 || res.status === 200 ? 'acknowledged' : 'failed');
          if (res.status >= 300) throw new Error(`write ${i} answered ${res.status}: ${res.text}`);
          // Every tenth write also creates a token: a local (non-replicated) key must be durable too.
          if (i % 10 === 0 && killed === undefined) {
            const token = await server.request('POST', 'auth/token/create', { body: { policies: ['default'], ttl: '1h' } });
            if (token.status === 200) acknowledgedTokens.push(token.body.auth.client_token);
          }
          acks++;
        } catch (err) {
          // A write cut off by the kill has no answer: it stays 'in-flight' (may be either way).
          if (killed === undefined) throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, writer));
    await killed;
    for (let i = 0; i < TOTAL_WRITES; i++) if (!outcomes.has(i)) outcomes.set(i, 'not-sent');
    await server.restart({ unseal: false });
  });

  after(async () => {
    await server?.stop();
  });

  it('killed the server with writes still in flight', () => {
    const counts = { acknowledged: 0, 'in-flight': 0, failed: 0, 'not-sent': 0 };
    for (const outcome of outcomes.values()) counts[outcome]++;
    expect(counts.acknowledged).to.be.at.least(KILL_AFTER_ACKS);
    expect(counts.failed).to.equal(0);
    // The other writers were waiting for answers when the kill landed.
    expect(counts['in-flight'], JSON.stringify(counts)).to.be.at.least(1);
    expect(server.logs(), 'the server must die without a graceful shutdown').to.not.include('shutting down');
  });

  it('comes back sealed and unseals with the init keys', async () => {
    const sealed = await server.request('GET', 'sys/seal-status', { token: null });
    expect(sealed.body).to.include({ sealed: true, initialized: true, t: 2, n: 3 });
    await server.unseal();
    const unsealed = await server.request('GET', 'sys/seal-status', { token: null });
    expect(unsealed.body).to.include({ sealed: false, initialized: true });
  });

  it('loses no acknowledged write (history check: acknowledged lost = 0)', async () => {
    const lost: number[] = [];
    const corrupted: number[] = [];
    for (const [i, outcome] of outcomes) {
      if (outcome !== 'acknowledged') continue;
      const res = await server.request('GET', `sys/policies/acl/durable-${i}`);
      if (res.status === 404) lost.push(i);
      else if (res.status !== 200 || res.body.data.policy !== policyText(i)) corrupted.push(i);
    }
    expect(lost, 'acknowledged writes missing after restart').to.deep.equal([]);
    expect(corrupted, 'acknowledged writes with wrong content').to.deep.equal([]);
  });

  it('keeps every acknowledged token valid', async () => {
    expect(acknowledgedTokens.length).to.be.greaterThan(0);
    for (const token of acknowledgedTokens) {
      const res = await server.request('GET', 'auth/token/lookup-self', { token });
      expect(res.status, 'lookup-self of a token created before the kill').to.equal(200);
    }
  });

  it('shows writes in flight at the kill whole or not at all, and writes never sent not at all', async () => {
    for (const [i, outcome] of outcomes) {
      if (outcome === 'acknowledged') continue;
      const res = await server.request('GET', `sys/policies/acl/durable-${i}`);
      if (outcome === 'not-sent') expect(res.status, `write ${i} was never sent`).to.equal(404);
      else if (res.status === 200) expect(res.body.data.policy, `in-flight write ${i}`).to.equal(policyText(i));
      else expect(res.status, `in-flight write ${i}`).to.equal(404);
    }
  });

  it('accepts new writes after the restart', async () => {
    const res = await server.request('PUT', 'sys/policies/acl/after-restart', { body: { policy: policyText(9999) } });
    expect(res.status).to.be.oneOf([200, 204]);
    expect((await server.request('GET', 'sys/policies/acl/after-restart')).body.data.policy).to.equal(policyText(9999));
  });
});
