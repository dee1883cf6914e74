import { expect } from 'chai';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HvacError, runHvac } from './hvac.js';
import { startDevServer, type ServerHandle } from './test-cluster.js';

describe('hvac helper', function () {
  this.timeout(60_000);
  let server: ServerHandle;

  before(async () => {
    server = await startDevServer();
  });

  after(async () => {
    await server?.stop();
  });

  it('runs the body with a ready client and returns its result parsed', async () => {
    const result = await runHvac(server.addr, server.rootToken, 'result = {"authenticated": client.is_authenticated(), "n": [1, 2]}');
    expect(result).to.deep.equal({ authenticated: true, n: [1, 2] });
  });

  it('keeps the body’s own prints out of the result', async () => {
    const result = await runHvac(server.addr, server.rootToken, 'print("noise")\nresult = client.sys.is_initialized()');
    expect(result).to.equal(true);
  });

  it('returns hvac’s raw responses (204s) as status code and body', async () => {
    const result = await runHvac(
      server.addr,
      server.rootToken,
      'result = client.sys.create_or_update_policy(name="p1", policy=\'path "x" { capabilities = ["read"] }\')',
    );
    expect(result).to.deep.equal({ status_code: 204, json: null });
  });

  it('rejects with the Python exception class and message', async () => {
    const failure = await runHvac(server.addr, 'not-a-token', 'result = client.secrets.kv.v2.read_secret_version(path="x")').catch((err: unknown) => err);
    expect(failure).to.be.instanceOf(HvacError);
    const error = failure as HvacError;
    expect(error.pythonClass).to.equal('hvac.exceptions.Forbidden');
    expect(error.message).to.match(/^hvac\.exceptions\.Forbidden: .*permission denied/);
  });

  it('rejects on a plain Python exception too', async () => {
    const failure = await runHvac(server.addr, server.rootToken, 'raise ValueError("boom")').catch((err: unknown) => err);
    expect((failure as HvacError).message).to.equal('ValueError: boom');
  });

  describe('without hvac importable', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'ferry-hvac-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("fails loudly, telling to install Debian's python3-hvac (never a skip)", async () => {
      // Debian's Python without its site directories: the interpreter runs, `import hvac` fails.
      const python = join(dir, 'python-without-site');
      writeFileSync(python, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n');
      chmodSync(python, 0o755);
      const failure = await runHvac(server.addr, server.rootToken, 'result = 1', { python }).catch((err: unknown) => err);
      expect((failure as Error).message).to.match(/"import hvac" failed .*install Debian's python3-hvac/);
    });

    it('fails loudly when the interpreter itself is missing', async () => {
      const failure = await runHvac(server.addr, server.rootToken, 'result = 1', { python: join(dir, 'no-python') }).catch((err: unknown) => err);
      expect((failure as Error).message).to.match(/cannot run .*install Debian's python3-hvac/);
    });
  });
});
