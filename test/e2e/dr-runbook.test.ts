/**
 * The README's "Disaster recovery" failover runbook, line by line, with the `ferry` CLI only, against real
 * SQLite servers on loopback: a primary with a DR secondary and a performance secondary; the primary is
 * killed (-9); a DR operation token is generated on the DR secondary from the primary's key shares and an
 * OTP, decoded, and used to promote; a client's token from the old primary works there; the performance
 * secondary is repointed; the old primary comes back and is demoted. Each `ferry …` line here is a line of
 * the README (`$NAME` expands from earlier output). Needs `npm run build` first.
 */
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { assertCliBuilt, runFerry } from '../helpers/ferry-cli.js';
import { startSqliteServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';

describe('e2e: the README disaster-recovery runbook with the ferry CLI only', function () {
  this.timeout(240_000);
  let primary: ServerHandle;
  let dr: ServerHandle;
  let perf: ServerHandle;
  let home: string;
  const vars: Record<string, string> = {};

  /** Runs one runbook line against a cluster with `token` ('' = none); returns stdout, failing on a non-zero exit. */
  async function ferry(line: string, on: ServerHandle, token: string, stdin = ''): Promise<string> {
    const words = line.split(/\s+/).map((word) => word.replace(/\$([A-Z_]+)/g, (_, name: string) => vars[name] ?? `$${name}`));
    expect(words[0], line).to.equal('ferry');
    const result = await runFerry(words.slice(1), { addr: on.addr, token, home }, stdin);
    expect(result.code, `${line}\n${result.stderr}`).to.equal(0);
    return result.stdout;
  }
  const row = (stdout: string, key: string): string => new RegExp(`^${key}\\s{2,}(\\S+)$`, 'm').exec(stdout)?.[1] ?? '';
  const drMode = async (server: ServerHandle) => (await server.request('GET', 'sys/replication/dr/status', { token: null })).body?.data as Record<string, any>;

  before(async () => {
    assertCliBuilt();
    home = await mkdtemp(path.join(os.tmpdir(), 'ferry-dr-runbook-'));
    [primary, dr, perf] = await Promise.all([startSqliteServer(), startSqliteServer(), startSqliteServer()]);
  });
  after(async () => {
    await Promise.all([primary?.stop(), dr?.stop(), perf?.stop()]);
    await rm(home, { recursive: true, force: true });
  });

  it('1. makes the primary a DR primary (and a performance primary) and activates both secondaries', async () => {
    await ferry('ferry write -f sys/replication/dr/primary/enable', primary, primary.rootToken);
    vars['DR_TOKEN'] = (
      await ferry('ferry write -field=wrapping_token sys/replication/dr/primary/secondary-token id=dr-east', primary, primary.rootToken)
    ).trim();
    await ferry('ferry write sys/replication/dr/secondary/enable token=$DR_TOKEN', dr, dr.rootToken);
    await ferry('ferry write -f sys/replication/performance/primary/enable', primary, primary.rootToken);
    vars['PERF_TOKEN'] = (
      await ferry('ferry write -field=wrapping_token sys/replication/performance/primary/secondary-token id=perf-west', primary, primary.rootToken)
    ).trim();
    await ferry('ferry write sys/replication/performance/secondary/enable token=$PERF_TOKEN', perf, perf.rootToken);
    await waitFor(async () => ((await drMode(dr))?.state === 'stream-wals' ? true : undefined), {
      timeoutMs: 60_000,
      description: 'the DR secondary streaming',
    });
    const status = await ferry('ferry read sys/replication/dr/status', dr, '');
    expect(row(status, 'mode')).to.equal('secondary');
  });

  it('2. a client works on the primary: its token and a secret reach the DR secondary', async () => {
    await ferry('ferry secrets enable -path=apps kv', primary, primary.rootToken);
    await ferry('ferry write apps/config db=orders', primary, primary.rootToken);
    vars['CLIENT_TOKEN'] = (await ferry('ferry token create -policy=root -field=token', primary, primary.rootToken)).trim();
    const lastWal = (await primary.request('GET', 'sys/replication/dr/status', { token: null })).body.data.last_wal as number;
    await waitFor(async () => (((await drMode(dr))?.last_remote_wal as number) >= lastWal ? true : undefined), {
      timeoutMs: 60_000,
      description: 'the DR secondary caught up',
    });
  });

  it('3. the primary dies; the DR secondary answers status but no client request', async () => {
    await primary.kill9();
    const refused = await runFerry(['read', 'apps/config'], { addr: dr.addr, token: vars['CLIENT_TOKEN'] ?? '', home });
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.contain('path disabled in replication DR secondary mode');
  });

  it("4. key holders generate a DR operation token with the primary's shares and an OTP; it is decoded", async () => {
    const init = await ferry('ferry operator generate-root -dr-token -init', dr, '');
    vars['NONCE'] = row(init, 'Nonce');
    vars['OTP'] = row(init, 'OTP');
    expect(vars['OTP']).to.have.length(28);
    let last = '';
    for (const key of primary.unsealKeys.slice(0, primary.unsealThreshold))
      last = await ferry('ferry operator generate-root -dr-token -nonce=$NONCE -', dr, '', `${key}\n`);
    expect(row(last, 'Complete')).to.equal('true');
    vars['ENCODED'] = row(last, 'Encoded Token');
    vars['DR_OPERATION_TOKEN'] = (await ferry('ferry operator generate-root -dr-token -decode=$ENCODED -otp=$OTP', dr, '')).trim();
  });

  it('5. promotes the DR secondary; the client, repointed, reads with the token it had', async () => {
    await waitFor(
      async () => {
        const res = await runFerry(['write', 'sys/replication/dr/secondary/promote', `dr_operation_token=${vars['DR_OPERATION_TOKEN']}`], {
          addr: dr.addr,
          token: '',
          home,
        });
        return res.code === 0 ? true : undefined;
      },
      { timeoutMs: 30_000, description: 'promote accepted once the secondary sees its primary gone' },
    );
    await waitFor(async () => ((await drMode(dr))?.mode === 'primary' ? true : undefined), { timeoutMs: 30_000, description: 'promoted' });
    expect(await ferry('ferry read -field=db apps/config', dr, vars['CLIENT_TOKEN'] ?? '')).to.equal('orders');
  });

  /** The generate-root flow with the original primary's key shares on `on` (`-dr-token` or not); the decoded token. */
  async function generate(on: ServerHandle, flag: string): Promise<string> {
    const init = await ferry(`ferry operator generate-root ${flag} -init`, on, '');
    vars['NONCE'] = row(init, 'Nonce');
    vars['OTP'] = row(init, 'OTP');
    let last = '';
    for (const key of primary.unsealKeys.slice(0, primary.unsealThreshold))
      last = await ferry(`ferry operator generate-root ${flag} -nonce=$NONCE -`, on, '', `${key}\n`);
    vars['ENCODED'] = row(last, 'Encoded Token');
    return (await ferry(`ferry operator generate-root ${flag} -decode=$ENCODED -otp=$OTP`, on, '')).trim();
  }

  it('6. repoints the performance secondary at the promoted cluster (with a root token of its own)', async () => {
    await ferry('ferry write -f sys/replication/performance/primary/enable', dr, vars['CLIENT_TOKEN'] ?? '');
    vars['PERF_TOKEN'] = (
      await ferry('ferry write -field=wrapping_token sys/replication/performance/primary/secondary-token id=perf-west', dr, vars['CLIENT_TOKEN'] ?? '')
    ).trim();
    vars['PERF_ROOT'] = await generate(perf, '');
    await ferry('ferry write sys/replication/performance/secondary/update-primary token=$PERF_TOKEN', perf, vars['PERF_ROOT']);
    await ferry('ferry write apps/after-failover n=1', dr, vars['CLIENT_TOKEN'] ?? '');
    await waitFor(async () => ((await perf.request('GET', 'apps/after-failover', { token: vars['PERF_ROOT'] ?? '' })).status === 200 ? true : undefined), {
      timeoutMs: 60_000,
      description: 'the performance secondary following the promoted cluster',
    });
  });

  it("7. the old primary comes back, steps down by itself (fenced), and becomes the promoted cluster's DR secondary", async () => {
    await primary.restart();
    // The promoted cluster keeps telling the old primary of its newer epoch until it answers: once back,
    // it stops acting as primary by itself (never two primaries), whatever the operator does first.
    const performanceMode = async () =>
      ((await primary.request('GET', 'sys/replication/performance/status', { token: null })).body?.data as Record<string, any>)?.mode;
    await waitFor(async () => ((await performanceMode()) === 'secondary' ? true : undefined), { timeoutMs: 60_000, description: 'the old primary fenced' });
    await ferry('ferry write -f sys/replication/performance/secondary/disable', primary, vars['CLIENT_TOKEN'] ?? '');
    vars['DR_TOKEN'] = (
      await ferry('ferry write -field=wrapping_token sys/replication/dr/primary/secondary-token id=dr-old-primary', dr, vars['CLIENT_TOKEN'] ?? '')
    ).trim();
    await ferry('ferry write sys/replication/dr/secondary/enable token=$DR_TOKEN', primary, vars['CLIENT_TOKEN'] ?? '');
    expect((await drMode(primary))?.mode).to.equal('secondary');
    await ferry('ferry write apps/after-return n=2', dr, vars['CLIENT_TOKEN'] ?? '');
    const lastWal = (await dr.request('GET', 'sys/replication/dr/status', { token: null })).body.data.last_wal as number;
    await waitFor(async () => (((await drMode(primary))?.last_remote_wal as number) >= lastWal ? true : undefined), {
      timeoutMs: 60_000,
      description: 'the old primary following the promoted cluster',
    });
  });
});
