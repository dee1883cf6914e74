import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { assertCliBuilt, runFerry, type FerryTarget } from '../../../helpers/ferry-cli.js';
import { startDevServer, waitFor, type ServerHandle } from '../../../helpers/test-cluster.js';

describe('ferry auth and audit commands against a dev server', function () {
  this.timeout(60_000);
  let server: ServerHandle;
  let target: FerryTarget;
  let workDir: string;

  before(async () => {
    assertCliBuilt();
    server = await startDevServer();
    target = { addr: server.addr, token: server.rootToken };
    workDir = await mkdtemp(path.join(os.tmpdir(), 'ferry-auth-cli-'));
  });
  after(async () => {
    await server?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('enables userpass, lists it (table, json) and logs in with it', async () => {
    const enable = await runFerry(['auth', 'enable', '-description=people', 'userpass'], target);
    expect(enable.code, enable.stderr).to.equal(0);
    expect(enable.stdout).to.equal('Success! Enabled userpass auth method at: userpass/\n');
    const list = await runFerry(['auth', 'list'], target);
    expect(list.stdout.split('\n')[0]).to.match(/^Path\s+Type\s+Accessor\s+Description$/);
    expect(list.stdout).to.match(/^token\/\s+token\s+/m);
    expect(list.stdout).to.match(/^userpass\/\s+userpass\s+\S+\s+people$/m);
    const json = JSON.parse((await runFerry(['auth', 'list', '-format=json'], target)).stdout) as Record<string, { type: string }>;
    expect(json['userpass/']?.type).to.equal('userpass');
    const user = await runFerry(['write', 'auth/userpass/users/alice', 'password=pw-123', 'policies=default'], target);
    expect(user.code, user.stderr).to.equal(0);
    const login = await runFerry(['login', '-method=userpass', 'username=alice', 'password=pw-123'], { addr: server.addr, home: workDir });
    expect(login.code, login.stderr).to.equal(0);
    expect(login.stdout).to.include('Success! You are now authenticated.');
    expect(login.stdout).to.not.include('pw-123');
    const stored = (await readFile(path.join(workDir, '.vault-token'), 'utf8')).trim();
    const printed = await runFerry(['print', 'token'], { addr: server.addr, home: workDir });
    expect(printed.stdout).to.equal(`${stored}\n`);
  });

  it('tunes and disables an auth method', async () => {
    const tune = await runFerry(['auth', 'tune', '-max-lease-ttl=2h', 'userpass/'], target);
    expect(tune.code, tune.stderr).to.equal(0);
    expect(tune.stdout).to.equal('Success! Tuned the auth method at: userpass/\n');
    const disable = await runFerry(['auth', 'disable', 'userpass'], target);
    expect(disable.stdout).to.equal('Success! Disabled the auth method (if it existed) at: userpass/\n');
    const json = JSON.parse((await runFerry(['auth', 'list', '-format=json'], target)).stdout) as Record<string, unknown>;
    expect(json).to.not.have.property('userpass/');
  });

  it('audit list says no device is enabled (exit 2), then enables a file device with file_path=', async () => {
    const none = await runFerry(['audit', 'list'], target);
    expect(none.code).to.equal(2);
    expect(none.stdout).to.equal('No audit devices are enabled.\n');
    const logFile = path.join(workDir, 'audit.log');
    const enable = await runFerry(['audit', 'enable', 'file', `file_path=${logFile}`], target);
    expect(enable.code, enable.stderr).to.equal(0);
    expect(enable.stdout).to.equal('Success! Enabled the file audit device at: file/\n');
    const list = await runFerry(['audit', 'list', '-detailed'], target);
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout).to.match(/^Path\s+Type\s+Description\s+Replication\s+Options$/m);
    expect(list.stdout).to.include(`file_path=${logFile}`);
    await runFerry(['read', 'sys/mounts'], target);
    await waitFor(async () => ((await readFile(logFile, 'utf8').catch(() => '')).includes('sys/mounts') ? true : undefined), {
      timeoutMs: 10_000,
      description: 'the audit log to record the request',
    });
    const disable = await runFerry(['audit', 'disable', 'file'], target);
    expect(disable.stdout).to.equal('Success! Disabled audit device (if it was enabled) at: file/\n');
  });

  it('refuses a malformed audit option with exit 1 and no device', async () => {
    const bad = await runFerry(['audit', 'enable', 'file', 'no-equals-sign'], target);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include('format must be key=value');
    expect((await runFerry(['audit', 'list'], target)).code).to.equal(2);
  });
});
