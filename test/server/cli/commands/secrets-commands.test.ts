import { expect } from 'chai';
import { assertCliBuilt, runFerry, type FerryTarget } from '../../../helpers/ferry-cli.js';
import { startDevServer, type ServerHandle } from '../../../helpers/test-cluster.js';

describe('ferry secrets enable/disable/list/move/tune against a dev server', function () {
  this.timeout(60_000);
  let server: ServerHandle;
  let target: FerryTarget;

  before(async () => {
    assertCliBuilt();
    server = await startDevServer();
    target = { addr: server.addr, token: server.rootToken };
  });
  after(async () => server?.stop());

  it('enables kv-v2 at a path with a description and lists it, table and json', async () => {
    const enable = await runFerry(['secrets', 'enable', '-path=app', '-description=App secrets', 'kv-v2'], target);
    expect(enable.code, enable.stderr).to.equal(0);
    expect(enable.stdout).to.equal('Success! Enabled the kv-v2 secrets engine at: app/\n');
    const table = await runFerry(['secrets', 'list'], target);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout.split('\n')[0]).to.match(/^Path\s+Type\s+Accessor\s+Description$/);
    expect(table.stdout).to.match(/^app\/\s+kv\s+\S+\s+App secrets$/m);
    const json = await runFerry(['secrets', 'list', '-format=json'], target);
    const mounts = JSON.parse(json.stdout) as Record<string, { type: string; options: Record<string, string> }>;
    expect(mounts['app/']?.type).to.equal('kv');
    expect(mounts['app/']?.options.version).to.equal('2');
    const detailed = await runFerry(['secrets', 'list', '-detailed'], target);
    expect(detailed.stdout.split('\n')[0]).to.match(/^Path\s+Type\s+Accessor\s+Default TTL\s+Max TTL\s+Replication\s+Options\s+Description$/);
  });

  it('enables with -options and -version, and -format=yaml lists the mounts', async () => {
    const enable = await runFerry(['secrets', 'enable', '-path=v1kv', '-options=version=1', 'kv'], target);
    expect(enable.code, enable.stderr).to.equal(0);
    const yaml = await runFerry(['secrets', 'list', '-format=yaml'], target);
    expect(yaml.code, yaml.stderr).to.equal(0);
    expect(yaml.stdout).to.match(/^v1kv\/:\n/m);
  });

  it('tunes the default lease TTL and shows it', async () => {
    const tune = await runFerry(['secrets', 'tune', '-default-lease-ttl=1h', '-description=tuned', 'app'], target);
    expect(tune.code, tune.stderr).to.equal(0);
    expect(tune.stdout).to.equal('Success! Tuned the secrets engine at: app/\n');
    const read = await server.request('GET', 'sys/mounts/app/tune');
    expect(read.body.data?.default_lease_ttl ?? read.body.default_lease_ttl).to.equal(3600);
  });

  it('moves a mount and disables it; the old path is gone', async () => {
    const move = await runFerry(['secrets', 'move', 'v1kv', 'moved'], target);
    expect(move.code, move.stderr).to.equal(0);
    expect(move.stdout).to.equal('Success! Finished moving secrets engine v1kv/ to moved/\n');
    const list = await runFerry(['secrets', 'list', '-format=json'], target);
    expect(Object.keys(JSON.parse(list.stdout) as object))
      .to.include('moved/')
      .and.not.include('v1kv/');
    const disable = await runFerry(['secrets', 'disable', 'moved/'], target);
    expect(disable.code, disable.stderr).to.equal(0);
    expect(disable.stdout).to.equal('Success! Disabled the secrets engine (if it existed) at: moved/\n');
  });

  it('exits 2 with the server error for a bad type, 1 for a missing argument', async () => {
    const bad = await runFerry(['secrets', 'enable', 'no-such-engine'], target);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('Error enabling: Error making API request.');
    const missing = await runFerry(['secrets', 'enable'], target);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include('Not enough arguments');
  });
});
