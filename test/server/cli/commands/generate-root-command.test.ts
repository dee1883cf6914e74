import { expect } from 'chai';
import { assertCliBuilt, runFerry, type FerryTarget } from '../../../helpers/ferry-cli.js';
import { startSqliteServer, waitFor, type ServerHandle } from '../../../helpers/test-cluster.js';

/** Reads `Key    Value` rows printed by a table into a map. */
function rows(stdout: string): Map<string, string> {
  return new Map(
    stdout
      .split('\n')
      .map((line) => /^(\S+(?: \S+)*?)\s{2,}(.*)$/.exec(line))
      .flatMap((m) => (m === null ? [] : [[m[1] as string, m[2] as string] as const])),
  );
}

describe('ferry operator generate-root and operator rekey against a SQLite server', function () {
  this.timeout(90_000);
  let server: ServerHandle;
  let target: FerryTarget;

  before(async () => {
    assertCliBuilt();
    server = await startSqliteServer();
    target = { addr: server.addr };
  });
  after(async () => server?.stop());

  it('generates a root token with -generate-otp, -init, key shares and -decode', async () => {
    const otp = await runFerry(['operator', 'generate-root', '-generate-otp'], target);
    expect(otp.code, otp.stderr).to.equal(0);
    expect(otp.stdout).to.match(/^[0-9A-Za-z]{28}\n$/);
    const init = await runFerry(['operator', 'generate-root', '-init', `-otp=${otp.stdout.trim()}`], target);
    expect(init.code, init.stderr).to.equal(0);
    const started = rows(init.stdout);
    expect(started.get('Started')).to.equal('true');
    expect(started.get('Progress')).to.equal(`0/${server.unsealThreshold}`);
    const status = JSON.parse((await runFerry(['operator', 'generate-root', '-status', '-format=json'], target)).stdout) as { nonce: string; started: boolean };
    expect(status.started).to.equal(true);
    expect(status.nonce).to.equal(started.get('Nonce'));
    let last = '';
    for (const key of server.unsealKeys.slice(0, server.unsealThreshold)) {
      const update = await runFerry(['operator', 'generate-root', `-nonce=${status.nonce}`, '-'], target, `${key}\n`);
      expect(update.code, update.stderr).to.equal(0);
      expect(update.stdout).to.not.include(key);
      last = update.stdout;
    }
    const done = rows(last);
    expect(done.get('Complete')).to.equal('true');
    const decoded = await runFerry(['operator', 'generate-root', `-decode=${done.get('Encoded Token') ?? ''}`, `-otp=${otp.stdout.trim()}`], target);
    expect(decoded.code, decoded.stderr).to.equal(0);
    const token = decoded.stdout.trim();
    const lookup = await runFerry(['token', 'lookup', '-format=json'], { ...target, token });
    expect(lookup.code, lookup.stderr).to.equal(0);
    expect((JSON.parse(lookup.stdout) as { data: { policies: string[] } }).data.policies).to.deep.equal(['root']);
  });

  it('cancels an attempt, and refuses conflicting modes with exit 1', async () => {
    expect((await runFerry(['operator', 'generate-root', '-init'], target)).code).to.equal(0);
    const cancel = await runFerry(['operator', 'generate-root', '-cancel'], target);
    expect(cancel.stdout).to.equal('Success! Root token generation canceled (if it was started)\n');
    const status = rows((await runFerry(['operator', 'generate-root', '-status'], target)).stdout);
    expect(status.get('Started')).to.equal('false');
    const both = await runFerry(['operator', 'generate-root', '-init', '-cancel'], target);
    expect(both.code).to.equal(1);
  });

  it('rekeys to new shares with -init, key shares and -status, and the new keys unseal', async () => {
    const init = await runFerry(['operator', 'rekey', '-init', '-key-shares=2', '-key-threshold=2'], target);
    expect(init.code, init.stderr).to.equal(0);
    expect(rows(init.stdout).get('New Shares')).to.equal('2');
    let last = '';
    for (const key of server.unsealKeys.slice(0, server.unsealThreshold)) {
      const update = await runFerry(['operator', 'rekey'], target, `${key}\n`);
      expect(update.code, update.stderr).to.equal(0);
      last = update.stdout;
    }
    const keys = [...last.matchAll(/^Key \d+: (\S+)$/gm)].map((m) => m[1] as string);
    expect(keys).to.have.length(2);
    server.unsealKeys = keys;
    server.unsealThreshold = 2;
    await server.restart();
    const status = await runFerry(['status', '-format=json'], target);
    expect(status.code, status.stderr).to.equal(0);
    const flat = JSON.parse(status.stdout) as { sealed: boolean; n: number; t: number; data?: unknown };
    expect(flat).to.include({ sealed: false, n: 2, t: 2 });
    expect(flat).to.not.have.property('data');
    const cancel = await runFerry(['operator', 'rekey', '-cancel'], target);
    expect(cancel.code, cancel.stderr).to.equal(0);
  });

  it('rekeys with -verify: the new keys count only after -verify accepts a threshold of them', async () => {
    const init = await runFerry(['operator', 'rekey', '-init', '-verify', '-key-shares=3', '-key-threshold=2'], target);
    expect(init.code, init.stderr).to.equal(0);
    expect(rows(init.stdout).get('Verification Required')).to.equal('true');
    let last = '';
    for (const key of server.unsealKeys.slice(0, server.unsealThreshold)) last = (await runFerry(['operator', 'rekey', key], target)).stdout;
    const keys = [...last.matchAll(/^Key \d+: (\S+)$/gm)].map((m) => m[1] as string);
    expect(keys).to.have.length(3);
    expect(last).to.include('ferry operator rekey -verify');
    const status = JSON.parse((await runFerry(['operator', 'rekey', '-verify', '-status', '-format=json'], target)).stdout) as { nonce: string };
    expect(status.nonce).to.be.a('string').that.is.not.empty;
    const first = await runFerry(['operator', 'rekey', '-verify', keys[0] as string], target);
    expect(first.code, first.stderr).to.equal(0);
    const second = await runFerry(['operator', 'rekey', '-verify', keys[1] as string], target);
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stdout).to.match(/^Success! Successfully verified new keys/);
    server.unsealKeys = keys;
    await server.restart();
    expect((await runFerry(['status'], target)).code).to.equal(0);
  });
});

describe('ferry operator generate-root -dr-token against a DR secondary (SQLite servers)', function () {
  this.timeout(120_000);
  let primary: ServerHandle;
  let secondary: ServerHandle;
  let target: FerryTarget;
  const dr = (...args: string[]) => ['operator', 'generate-root', '-dr-token', ...args];

  before(async () => {
    assertCliBuilt();
    [primary, secondary] = await Promise.all([startSqliteServer(), startSqliteServer()]);
    expect((await primary.request('POST', 'sys/replication/dr/primary/enable', { body: {} })).status).to.equal(200);
    const minted = await primary.request('POST', 'sys/replication/dr/primary/secondary-token', { body: { id: 'dr' } });
    expect(minted.status, minted.text).to.equal(200);
    const enabled = await secondary.request('POST', 'sys/replication/dr/secondary/enable', { body: { token: minted.body.wrap_info.token } });
    expect(enabled.status, enabled.text).to.equal(200);
    await waitFor(
      async () => ((await secondary.request('GET', 'sys/replication/dr/status', { token: null })).body?.data?.state === 'stream-wals' ? true : undefined),
      {
        timeoutMs: 60_000,
        description: 'the DR secondary streaming',
      },
    );
    // The secondary answers no token now: the flow runs without one, as on Vault.
    target = { addr: secondary.addr, token: '' };
  });
  after(async () => Promise.all([primary?.stop(), secondary?.stop()]));

  it("generates a DR operation token with -generate-otp, -init, the primary's key shares and -decode; promote accepts it", async () => {
    const otp = await runFerry(dr('-generate-otp'), target);
    expect(otp.code, otp.stderr).to.equal(0);
    expect(otp.stdout).to.match(/^[0-9A-Za-z]{28}\n$/);
    const init = await runFerry(dr('-init', `-otp=${otp.stdout.trim()}`), target);
    expect(init.code, init.stderr).to.equal(0);
    expect(rows(init.stdout).get('Progress')).to.equal(`0/${primary.unsealThreshold}`);
    // Root token generation on the same cluster is a different attempt.
    expect(rows((await runFerry(['operator', 'generate-root', '-status'], target)).stdout).get('Started')).to.not.equal('true');
    const nonce = rows((await runFerry(dr('-status'), target)).stdout).get('Nonce') ?? '';
    expect(nonce).to.equal(rows(init.stdout).get('Nonce'));
    let last = '';
    for (const key of primary.unsealKeys.slice(0, primary.unsealThreshold)) {
      const update = await runFerry(dr(`-nonce=${nonce}`, '-'), target, `${key}\n`);
      expect(update.code, update.stderr).to.equal(0);
      expect(update.stdout).to.not.include(key);
      last = update.stdout;
    }
    expect(rows(last).get('Complete')).to.equal('true');
    const decoded = await runFerry(dr(`-decode=${rows(last).get('Encoded Token') ?? ''}`, `-otp=${otp.stdout.trim()}`), target);
    expect(decoded.code, decoded.stderr).to.equal(0);
    const operationToken = decoded.stdout.trim();
    expect(operationToken).to.match(/^hvs\./);
    // A planned failover: the primary steps down first (promoting next to a live primary needs force).
    expect((await primary.request('POST', 'sys/replication/dr/primary/demote', { body: {} })).status).to.equal(200);
    const promote = await runFerry(['write', 'sys/replication/dr/secondary/promote', `dr_operation_token=${operationToken}`], target);
    expect(promote.code, promote.stderr).to.equal(0);
    await waitFor(
      async () => ((await secondary.request('GET', 'sys/replication/dr/status', { token: null })).body?.data?.mode === 'primary' ? true : undefined),
      {
        timeoutMs: 30_000,
        description: 'the promoted cluster a DR primary',
      },
    );
  });

  it('refuses the DR flow on a cluster that is not a DR secondary (exit 2, the server’s error) and cancels with -cancel', async () => {
    // Promoted above: no longer a DR secondary.
    const init = await runFerry(dr('-init'), target);
    expect(init.code).to.equal(2);
    expect(init.stderr).to.match(/^Error initializing root generation: [^]*not a DR replication secondary/);
    const cancel = await runFerry(dr('-cancel'), target);
    expect(cancel.code, cancel.stderr).to.equal(0);
    expect(cancel.stdout).to.equal('Success! Root token generation canceled (if it was started)\n');
  });
});
