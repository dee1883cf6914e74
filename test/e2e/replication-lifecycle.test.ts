import { expect } from 'chai';
import { generateRoot } from '../helpers/generate-root.js';
import { startDevServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';

/** Revoke, demote, promote, update-primary and fencing between real dev servers on loopback. */
describe('replication lifecycle: revoke, failover and fencing', function () {
  this.timeout(180_000);
  const root = 'lifecycle-root';
  const servers: ServerHandle[] = [];

  const status = async (s: ServerHandle) => (await s.request('GET', 'sys/replication/status', { token: null })).body.data;
  const token = async (primary: ServerHandle, id: string): Promise<string> => {
    const res = await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id } });
    expect(res.status, res.text).to.equal(200);
    return res.body.wrap_info.token;
  };
  const streaming = (s: ServerHandle) =>
    waitFor(
      async () => {
        const st = await status(s);
        return st.mode === 'secondary' && st.state === 'stream-wals' && st.connection_state === 'ready' ? st : undefined;
      },
      { timeoutMs: 20_000, description: 'secondary streaming' },
    );
  const converged = (p: ServerHandle, s: ServerHandle) =>
    waitFor(
      async () => {
        const [a, b] = await Promise.all([status(p), status(s)]);
        return a.merkle_root === b.merkle_root && b.state === 'stream-wals' ? true : undefined;
      },
      { timeoutMs: 20_000, description: 'equal Merkle roots' },
    );
  const put = (s: ServerHandle, key: string, v: string) => s.request('POST', `secret/data/${key}`, { body: { data: { v } } });
  const get = async (s: ServerHandle, key: string) => {
    const r = await s.request('GET', `secret/data/${key}`);
    return r.status === 200 ? (r.body.data.data.v as string) : undefined;
  };

  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('revoke-secondary cuts the stream at once; a new token and update-primary bring it back without a wipe', async () => {
    const [a, b] = await Promise.all([startDevServer({ rootTokenId: root }), startDevServer({ rootTokenId: root })]);
    servers.push(a, b);
    await a.request('POST', 'sys/replication/primary/enable');
    expect((await b.request('POST', 'sys/replication/secondary/enable', { body: { token: await token(a, 'b') } })).status).to.equal(200);
    await streaming(b);
    await put(a, 'before-revoke', '1');
    await waitFor(async () => (await get(b, 'before-revoke')) === '1', { timeoutMs: 10_000 });
    // Local state that must survive the whole episode (no wipe).
    expect((await b.request('POST', 'sys/mounts/b-local', { body: { type: 'kv', local: true } })).status).to.equal(204);
    expect((await b.request('POST', 'b-local/x', { body: { v: 'local' } })).status).to.equal(204);

    const revokedAt = Date.now();
    expect((await a.request('POST', 'sys/replication/primary/revoke-secondary', { body: { id: 'b' } })).status).to.equal(204);
    expect((await status(a)).known_secondaries).to.deep.equal([]);
    await waitFor(async () => ((await status(b)).connection_state !== 'ready' ? true : undefined), {
      timeoutMs: 1000,
      intervalMs: 20,
      description: 'stream cut within a second',
    });
    expect(Date.now() - revokedAt).to.be.below(1000);
    await put(a, 'after-revoke', '2');
    // Its old certificate is refused: it keeps trying and never catches up.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await get(b, 'after-revoke')).to.equal(undefined);
    expect((await status(b)).state).not.to.equal('stream-wals');

    const res = await b.request('POST', 'sys/replication/secondary/update-primary', { body: { token: await token(a, 'b') } });
    expect(res.status, res.text).to.equal(204);
    await streaming(b);
    await waitFor(async () => (await get(b, 'after-revoke')) === '2', { timeoutMs: 10_000, description: 'caught up after update-primary' });
    expect((await b.request('GET', 'b-local/x')).body.data.v).to.equal('local');
    await converged(a, b);
  });

  it('demote A → promote B → update-primary C → writes on B reach C; A rejoins B and converges', async () => {
    const [a, b, c] = await Promise.all([startDevServer({ rootTokenId: root }), startDevServer({ rootTokenId: root }), startDevServer({ rootTokenId: root })]);
    servers.push(a, b, c);
    await a.request('POST', 'sys/replication/primary/enable');
    await b.request('POST', 'sys/replication/secondary/enable', { body: { token: await token(a, 'b') } });
    await c.request('POST', 'sys/replication/secondary/enable', { body: { token: await token(a, 'c') } });
    await Promise.all([streaming(b), streaming(c)]);
    for (let i = 0; i < 20; i++) expect((await put(a, `k${i}`, `a${i}`)).status).to.equal(200);
    await converged(a, b);
    await converged(a, c);
    const clusterId = (await status(a)).cluster_id;

    const demote = await a.request('POST', 'sys/replication/primary/demote');
    expect(demote.status).to.equal(200);
    expect(demote.body.warnings[0]).to.match(/demoted/);
    expect((await status(a)).mode).to.equal('secondary');
    // A demoted primary refuses replicated writes with a clear error.
    const refused = await put(a, 'on-demoted', 'x');
    expect(refused.status).to.be.within(400, 599);
    expect(refused.body.errors[0]).to.match(/demoted|without a primary/);

    await waitFor(async () => ((await status(b)).connection_state !== 'ready' ? true : undefined), { timeoutMs: 10_000 });
    const promote = await b.request('POST', 'sys/replication/secondary/promote');
    expect(promote.status, promote.text).to.equal(200);
    const bStatus = await status(b);
    expect(bStatus.mode).to.equal('primary');
    expect(bStatus.cluster_id).to.equal(clusterId);
    expect(bStatus.epoch).to.equal(2);

    const upd = await c.request('POST', 'sys/replication/secondary/update-primary', { body: { token: await token(b, 'c') } });
    expect(upd.status, upd.text).to.equal(204);
    await streaming(c);
    for (let i = 0; i < 10; i++) expect((await put(b, `b${i}`, `from-b-${i}`)).status).to.equal(200);
    await waitFor(async () => (await get(c, 'b9')) === 'from-b-9', { timeoutMs: 10_000, description: "B's writes on C" });
    expect(await get(c, 'k19')).to.equal('a19');

    const back = await a.request('POST', 'sys/replication/secondary/update-primary', { body: { token: await token(b, 'a') } });
    expect(back.status, back.text).to.equal(204);
    await streaming(a);
    await converged(b, a);
    await converged(b, c);
    expect(await get(a, 'b9')).to.equal('from-b-9');
  });

  it('a stale primary that was not demoted is fenced once it sees the new epoch, and nothing B acknowledged is lost', async () => {
    const [a, b] = await Promise.all([startDevServer({ rootTokenId: root }), startDevServer({ rootTokenId: root })]);
    servers.push(a, b);
    await a.request('POST', 'sys/replication/primary/enable');
    await b.request('POST', 'sys/replication/secondary/enable', { body: { token: await token(a, 'b') } });
    await streaming(b);
    await put(a, 'shared', 'from-a');
    await converged(a, b);

    // B is still connected to a live A: a plain promote is refused, never two primaries.
    const plain = await b.request('POST', 'sys/replication/secondary/promote');
    expect(plain.status).to.equal(400);
    expect(plain.body.errors[0]).to.match(/demote the primary first|force/);

    const forced = await b.request('POST', 'sys/replication/secondary/promote', { body: { force: true } });
    expect(forced.status, forced.text).to.equal(200);
    const acknowledgedByB: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await put(b, `after-split-${i}`, `b-${i}`);
      if (r.status === 200) acknowledgedByB.push(`after-split-${i}`);
    }
    expect(acknowledgedByB).to.have.length(10);

    // A learns of epoch 2 from B and stops acting as primary.
    const fenced = await waitFor(
      async () => {
        const st = await status(a);
        return st.mode === 'secondary' && st.fenced_by_epoch === 2 ? st : undefined;
      },
      { timeoutMs: 10_000, description: 'stale primary fenced' },
    );
    expect(fenced.epoch).to.equal(2);
    const refused = await put(a, 'stale-write', 'x');
    expect(refused.status).to.be.within(400, 599);
    expect(refused.body.errors[0]).to.match(/newer primary/);
    expect((await a.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'x' } })).status).to.equal(400);

    // Brought back as a secondary of B, A converges and has every write B acknowledged.
    expect((await a.request('POST', 'sys/replication/secondary/update-primary', { body: { token: await token(b, 'a') } })).status).to.equal(204);
    await streaming(a);
    await converged(b, a);
    for (const key of acknowledgedByB) expect(await get(a, key), key).to.match(/^b-/);
  });

  it("generate-root on a secondary works with the primary's unseal key shares, not with its own old ones", async () => {
    const [p, s] = await Promise.all([startDevServer({ rootTokenId: root }), startDevServer({ rootTokenId: root })]);
    servers.push(p, s);
    const secondaryOwnKeys = [...s.unsealKeys];
    await p.request('POST', 'sys/replication/primary/enable');
    await s.request('POST', 'sys/replication/secondary/enable', { body: { token: await token(p, 's') } });
    await streaming(s);
    const refused = await generateRoot(s, secondaryOwnKeys);
    expect(refused.token).to.equal(undefined);
    expect(refused.status).to.equal(400);
    const made = await generateRoot(s, p.unsealKeys);
    expect(made.status).to.equal(200);
    const newRoot = made.token as string;
    expect(newRoot).to.match(/^hvs\./);
    // The new root token is local to the secondary.
    expect((await s.request('GET', 'auth/token/lookup-self', { token: newRoot })).body.data.policies).to.deep.equal(['root']);
    expect((await p.request('GET', 'auth/token/lookup-self', { token: newRoot })).status).to.equal(403);
  });

  it('exposes replication metrics in Prometheus format', async () => {
    const primary = servers[servers.length - 1] as ServerHandle;
    const res = await primary.request('GET', 'sys/metrics?format=prometheus', { token: root });
    expect(res.status).to.equal(200);
    const text = res.text;
    expect(text).to.match(/^ferry_replication_mode \d$/m);
    expect(text).to.match(/^ferry_replication_merkle_keys \d+$/m);
  });
});
