import { expect } from 'chai';
import { assertCliBuilt, runFerry, type FerryTarget } from '../../../helpers/ferry-cli.js';
import { startSqliteServer, type ServerHandle } from '../../../helpers/test-cluster.js';

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
