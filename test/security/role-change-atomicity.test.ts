import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import { startDevServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * Issue #10, class 6: a role change that fails leaves the previous role exactly as it was. The
 * failure provoked here is the common one: the cluster port is held by another listener.
 */
describe('security: a failed role change leaves the previous role', function () {
  this.timeout(120_000);
  const root = 'role-atomicity-root';
  const servers: ServerHandle[] = [];
  const blockers: Server[] = [];

  const status = async (s: ServerHandle) => (await s.request('GET', 'sys/replication/status', { token: null })).body.data;

  /** Holds a loopback port with a plain TCP listener (as another program would). */
  async function occupy(port: number): Promise<Server> {
    const blocker = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      blocker.once('error', reject);
      blocker.listen(port, '127.0.0.1', () => resolve());
    });
    blockers.push(blocker);
    return blocker;
  }
  const release = (blocker: Server) => new Promise<void>((resolve) => blocker.close(() => resolve()));

  after(async () => {
    await Promise.all(blockers.map((b) => (b.listening ? release(b) : Promise.resolve())));
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('refuses primary/enable on a cluster port in use with a 400 naming the address, stays disabled, and succeeds once the port is free', async () => {
    const a = await startDevServer({ rootTokenId: root });
    servers.push(a);
    const blocker = await occupy(a.clusterPort);

    const res = await a.request('POST', 'sys/replication/primary/enable');
    expect(res.status, res.text).to.equal(400);
    expect(res.body.errors).to.deep.equal([`cluster address 127.0.0.1:${a.clusterPort} is already in use`]);
    expect((await status(a)).mode).to.equal('disabled');
    const token = await a.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'x' } });
    expect(token.status, token.text).to.equal(400);
    expect(token.body.errors[0]).to.contain('not a replication primary');
    // The cluster keeps serving as before.
    expect((await a.request('POST', 'secret/data/k', { body: { data: { v: '1' } } })).status).to.equal(200);

    await release(blocker);
    const retry = await a.request('POST', 'sys/replication/primary/enable');
    expect(retry.status, retry.text).to.equal(200);
    expect((await status(a)).mode).to.equal('primary');
    const issued = await a.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'x' } });
    expect(issued.status, issued.text).to.equal(200);
  });

  it('refuses promote on a cluster port in use, keeps the secondary streaming, and promotes once the port is free', async () => {
    const [a, b] = await Promise.all([startDevServer({ rootTokenId: root }), startDevServer({ rootTokenId: root })]);
    servers.push(a, b);
    expect((await a.request('POST', 'sys/replication/primary/enable')).status).to.equal(200);
    const token = (await a.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'b' } })).body.wrap_info.token as string;
    const enabled = await b.request('POST', 'sys/replication/secondary/enable', { body: { token } });
    expect(enabled.status, enabled.text).to.equal(200);
    const streaming = () =>
      waitFor(
        async () => {
          const st = await status(b);
          return st.mode === 'secondary' && st.state === 'stream-wals' && st.connection_state === 'ready' ? st : undefined;
        },
        { timeoutMs: 20_000, description: 'secondary streaming' },
      );
    const before = await streaming();

    const blocker = await occupy(b.clusterPort);
    const res = await b.request('POST', 'sys/replication/secondary/promote', { body: { force: true } });
    expect(res.status, res.text).to.equal(400);
    expect(res.body.errors).to.deep.equal([`cluster address 127.0.0.1:${b.clusterPort} is already in use`]);
    const after = await status(b);
    expect(after.mode).to.equal('secondary');
    expect(after.epoch).to.equal(before.epoch);
    expect(after.secondary_id).to.equal('b');
    // Still following A: a write on A reaches B.
    expect((await a.request('POST', 'secret/data/after-failed-promote', { body: { data: { v: 'x' } } })).status).to.equal(200);
    await waitFor(async () => ((await b.request('GET', 'secret/data/after-failed-promote')).status === 200 ? true : undefined), {
      timeoutMs: 10_000,
      description: 'the write on A replicated to B',
    });
    await streaming();

    await release(blocker);
    const retry = await b.request('POST', 'sys/replication/secondary/promote', { body: { force: true } });
    expect(retry.status, retry.text).to.equal(200);
    const promoted = await status(b);
    expect(promoted.mode).to.equal('primary');
    expect(promoted.epoch).to.equal(before.epoch + 1);
    expect((await b.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'c' } })).status).to.equal(200);
  });
});
