import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startDevServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * Regression: a replicated audit device enabled on the primary was not enabled on a running
 * secondary until it was resealed or restarted. The device writes to `stdout`, which the test
 * cluster sends to each process's own log file, so each cluster's entries land in its own file.
 */
describe('replicated audit devices on a running secondary', function () {
  this.timeout(120_000);
  const root = 'audit-replication-root';
  const servers: ServerHandle[] = [];
  let primary: ServerHandle;
  let secondary: ServerHandle;

  const status = async (s: ServerHandle) => (await s.request('GET', 'sys/replication/status', { token: null })).body.data;
  /** A read on the secondary of a path nobody else uses; the answer (404) does not matter. */
  const probe = async (s: ServerHandle): Promise<string> => {
    const path = `secret/data/audit-probe-${randomUUID()}`;
    const res = await s.request('GET', path);
    expect(res.status, res.text).to.be.oneOf([200, 404]);
    return path;
  };
  const auditedPaths = (s: ServerHandle): string[] =>
    s
      .logs()
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes('"type":"request"'))
      .map((line) => (JSON.parse(line) as { request?: { path?: string } }).request?.path ?? '');

  before(async () => {
    [primary, secondary] = await Promise.all([startDevServer({ rootTokenId: root }), startDevServer({ rootTokenId: root })]);
    servers.push(primary, secondary);
    expect((await primary.request('POST', 'sys/replication/primary/enable')).status).to.equal(200);
    const token = await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'audit-secondary' } });
    expect(token.status, token.text).to.equal(200);
    const enable = await secondary.request('POST', 'sys/replication/secondary/enable', { body: { token: token.body.wrap_info.token } });
    expect(enable.status, enable.text).to.equal(200);
    await waitFor(
      async () => {
        const st = await status(secondary);
        return st.mode === 'secondary' && st.state === 'stream-wals' && st.connection_state === 'ready' ? true : undefined;
      },
      { timeoutMs: 30_000, description: 'secondary streaming' },
    );
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('starts logging on the secondary within seconds of being enabled on the primary, and stops when disabled there', async () => {
    const pid = secondary.process?.pid;
    const before = await probe(secondary);
    expect(auditedPaths(secondary)).not.to.include(before);

    const enable = await primary.request('POST', 'sys/audit/shared', { body: { type: 'file', options: { file_path: 'stdout' } } });
    expect(enable.status, enable.text).to.equal(204);
    const enabledAt = Date.now();
    // Each attempt is a new request: only one made after the secondary reloaded its devices is logged.
    const logged = await waitFor(
      async () => {
        const path = await probe(secondary);
        return auditedPaths(secondary).includes(path) ? path : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, description: 'a request on the secondary in its audit log' },
    );
    expect(Date.now() - enabledAt).to.be.below(10_000);
    // The entry is the secondary's own: the primary never saw that request.
    expect(auditedPaths(primary)).not.to.include(logged);
    const listed = await secondary.request('GET', 'sys/audit');
    expect(listed.body['shared/']).to.deep.include({ type: 'file', local: false, path: 'shared/' });

    expect((await primary.request('DELETE', 'sys/audit/shared')).status).to.equal(204);
    await waitFor(async () => ((await secondary.request('GET', 'sys/audit')).body['shared/'] === undefined ? true : undefined), {
      timeoutMs: 10_000,
      description: 'the device gone from the secondary',
    });
    // A request answered after the device is gone is not logged (an audited request is written before it is answered).
    const after = await probe(secondary);
    expect(auditedPaths(secondary)).not.to.include(after);
    // Same process throughout: no restart, no reseal.
    expect(secondary.process?.pid).to.equal(pid);
    expect((await secondary.request('GET', 'sys/seal-status', { token: null })).body.sealed).to.equal(false);
  });
});
