/**
 * End-to-end: the real `node bin/ferry.js` client against a real Ferry server process on a free
 * loopback port. Needs `npm run build` first (`npm test` runs it through `pretest`).
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError } from '../../../server/api-client/api-error.js';
import { VaultClient } from '../../../server/api-client/vault-client.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FERRY_BIN = path.join(REPO_ROOT, 'bin', 'ferry.js');
const BUILT_CLI = path.join(REPO_ROOT, 'dist', 'server', 'cli', 'main.js');
const READY_DEADLINE_MS = 30_000;
const ROOT_TOKEN = 'ROOT';

interface FerryResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The environment of the test process without any Vault/Ferry settings that could leak in. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(VAULT|FERRY)_/.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

function runFerry(args: string[], env: Record<string, string>, stdin = ''): Promise<FerryResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FERRY_BIN, ...args], { cwd: REPO_ROOT, env: cleanEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

interface RunningServer {
  readonly address: string;
  stop(): Promise<void>;
}

/** Starts `ferry server ARGS` and resolves once `sys/seal-status` answers; fails fast if it exits. */
async function startServer(args: string[], listenAddress: string, home: string): Promise<RunningServer> {
  const child: ChildProcess = spawn(process.execPath, [FERRY_BIN, 'server', ...args], {
    cwd: REPO_ROOT,
    env: cleanEnv({ HOME: home }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  let exited = false;
  child.on('exit', () => (exited = true));
  const address = `http://${listenAddress}`;
  const stop = async (): Promise<void> => {
    if (exited) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  };
  const deadline = Date.now() + READY_DEADLINE_MS;
  for (;;) {
    if (exited) throw new Error(`ferry server exited before it was ready:\n${output.slice(-2000)}`);
    try {
      await new VaultClient({ address }).send('GET', 'sys/seal-status');
      return { address, stop };
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`ferry server did not answer within ${READY_DEADLINE_MS} ms:\n${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The error messages the server itself returns for a request, to check the CLI shows them verbatim. */
async function serverErrors(client: VaultClient, method: string, path: string, body: unknown): Promise<string[]> {
  try {
    await client.request(method, path, { body });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    expect(err.errors, 'the server should return {"errors":[...]}').to.not.be.empty;
    return [...err.errors];
  }
  throw new Error('the request should fail on the server');
}

describe('ferry CLI against a spawned server', function () {
  this.timeout(120_000);
  let workDir: string;

  before(async () => {
    if (!existsSync(BUILT_CLI)) throw new Error(`missing ${BUILT_CLI}: run "npm run build" before this test`);
    workDir = await mkdtemp(path.join(os.tmpdir(), 'ferry-cli-'));
  });

  after(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  describe('a new server: operator init, unseal and status', () => {
    let server: RunningServer;
    let env: Record<string, string>;

    before(async () => {
      const port = await freeLoopbackPort();
      const configFile = path.join(workDir, 'server.hcl');
      await writeFile(
        configFile,
        [
          `storage "sqlite" { path = ${JSON.stringify(path.join(workDir, 'ferry.db'))} }`,
          'listener "tcp" {',
          `  address     = "127.0.0.1:${port}"`,
          '  tls_disable = true',
          '}',
          'disable_mlock = true',
          '',
        ].join('\n'),
      );
      server = await startServer([`-config=${configFile}`], `127.0.0.1:${port}`, workDir);
      env = { FERRY_ADDR: `http://127.0.0.1:${port}`, HOME: workDir, FERRY_TOKEN_FILE: path.join(workDir, 'init-token') };
    });

    after(async () => {
      await server?.stop();
    });

    let unsealKeys: string[] = [];

    it('initializes with ferry operator init and prints the keys and root token', async () => {
      const result = await runFerry(['operator', 'init', '-key-shares=3', '-key-threshold=2'], env);
      expect(result.stderr).to.equal('');
      expect(result.code).to.equal(0);
      unsealKeys = [...result.stdout.matchAll(/^Unseal Key (\d+): (\S+)$/gm)].map((m) => m[2] as string);
      expect(unsealKeys).to.have.length(3);
      expect(result.stdout).to.match(/^Initial Root Token: \S+$/m);
    });

    it('reports a sealed server with exit code 2', async () => {
      const result = await runFerry(['status'], env);
      expect(result.code).to.equal(2);
      expect(result.stdout).to.match(/^Sealed\s+true$/m);
      expect(result.stdout).to.match(/^Initialized\s+true$/m);
    });

    it('unseals with a key argument, then with a key on stdin', async () => {
      const first = await runFerry(['operator', 'unseal', unsealKeys[0] as string], env);
      expect(first.code, first.stderr).to.equal(0);
      expect(first.stdout).to.match(/^Unseal Progress\s+1\/2$/m);
      const second = await runFerry(['operator', 'unseal'], env, `${unsealKeys[1] as string}\n`);
      expect(second.code, second.stderr).to.equal(0);
      expect(second.stdout).to.match(/^Sealed\s+false$/m);
    });

    it('reports an unsealed server with exit code 0', async () => {
      const result = await runFerry(['status'], env);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.match(/^Sealed\s+false$/m);
    });

    it('exits non-zero with the server message when init is repeated', async () => {
      const expected = await serverErrors(new VaultClient({ address: env.FERRY_ADDR! }), 'PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
      const result = await runFerry(['operator', 'init'], env);
      expect(result.code).to.equal(2);
      expect(result.stderr).to.include(`Error initializing: Error making API request.\n\nURL: PUT ${env.FERRY_ADDR}/v1/sys/init\nCode: 400. Errors:\n\n`);
      for (const message of expected) expect(result.stderr).to.include(`* ${message}`);
    });
  });

  describe('a dev server: login, kv, tokens, policies and errors', () => {
    let server: RunningServer;
    let env: Record<string, string>;
    let tokenFile: string;

    before(async () => {
      const port = await freeLoopbackPort();
      const listen = `127.0.0.1:${port}`;
      server = await startServer(['-dev', `-dev-root-token-id=${ROOT_TOKEN}`, `-dev-listen-address=${listen}`], listen, workDir);
      tokenFile = path.join(workDir, 'dev-token');
      env = { FERRY_ADDR: server.address, HOME: workDir, FERRY_TOKEN_FILE: tokenFile };
    });

    after(async () => {
      await server?.stop();
    });

    it('logs in with a token and stores it in the token file, owner-only', async () => {
      const result = await runFerry(['login', ROOT_TOKEN], env);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.include('Success! You are now authenticated.');
      expect((await readFile(tokenFile, 'utf8')).trim()).to.equal(ROOT_TOKEN);
      expect((await stat(tokenFile)).mode & 0o777).to.equal(0o600);
    });

    it('refuses to log in with a bad token without printing it', async () => {
      const result = await runFerry(['login', '-no-store', 'not-a-real-token'], env);
      expect(result.code).to.equal(2);
      expect(result.stderr).to.include('Error authenticating: Error making API request.');
      expect(result.stderr).to.include('Code: 403.');
      expect(result.stderr + result.stdout).to.not.include('not-a-real-token');
    });

    it('mounts a kv engine with write and writes a secret', async () => {
      const mount = await runFerry(['write', 'sys/mounts/cli-kv', 'type=kv'], env);
      expect(mount.code, mount.stderr).to.equal(0);
      const write = await runFerry(['write', 'cli-kv/app', 'password=s3cr3t', 'json={"a":1}'], env);
      expect(write.code, write.stderr).to.equal(0);
      expect(write.stdout).to.equal('Success! Data written to: cli-kv/app\n');
    });

    it('reads one field raw with read -field=', async () => {
      const result = await runFerry(['read', '-field=password', 'cli-kv/app'], env);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.equal('s3cr3t');
    });

    it('reads the whole envelope as JSON, keeping JSON-looking values as strings', async () => {
      const result = await runFerry(['read', '-format=json', 'cli-kv/app'], env);
      expect(result.code, result.stderr).to.equal(0);
      const envelope = JSON.parse(result.stdout) as { data: Record<string, unknown> };
      expect(envelope.data).to.deep.equal({ password: 's3cr3t', json: '{"a":1}' });
    });

    it('reads a value from stdin with key=-', async () => {
      const write = await runFerry(['write', 'cli-kv/piped', 'value=-'], env, 'from-stdin');
      expect(write.code, write.stderr).to.equal(0);
      const read = await runFerry(['read', '-field=value', 'cli-kv/piped'], env);
      expect(read.stdout).to.equal('from-stdin');
    });

    it('lists keys and deletes a secret', async () => {
      const list = await runFerry(['list', 'cli-kv/'], env);
      expect(list.code, list.stderr).to.equal(0);
      expect(list.stdout.split('\n').slice(0, 2)).to.deep.equal(['Keys', '----']);
      expect(list.stdout).to.match(/^app$/m);
      const del = await runFerry(['delete', 'cli-kv/piped'], env);
      expect(del.code, del.stderr).to.equal(0);
      const read = await runFerry(['read', 'cli-kv/piped'], env);
      expect(read.code).to.equal(2);
      expect(read.stderr).to.equal('No value found at cli-kv/piped\n');
    });

    it('creates a token with token create -format=json and looks it up', async () => {
      const created = await runFerry(['token', 'create', '-format=json', '-policy=default', '-ttl=1h', '-display-name=cli'], env);
      expect(created.code, created.stderr).to.equal(0);
      const envelope = JSON.parse(created.stdout) as { auth: { client_token: string; accessor: string; policies: string[] } };
      expect(envelope.auth.client_token).to.be.a('string').that.is.not.empty;
      expect(envelope.auth.policies).to.include('default');
      const lookup = await runFerry(['token', 'lookup', '-format=json'], { ...env, FERRY_TOKEN: envelope.auth.client_token });
      expect(lookup.code, lookup.stderr).to.equal(0);
      expect((JSON.parse(lookup.stdout) as { data: { accessor: string } }).data.accessor).to.equal(envelope.auth.accessor);
    });

    it('prints just the token with token create -field=token', async () => {
      const result = await runFerry(['token', 'create', '-field=token', '-policy=default'], env);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.match(/^\S+$/);
    });

    it('revokes a token', async () => {
      const token = (await runFerry(['token', 'create', '-field=token'], env)).stdout;
      const revoke = await runFerry(['token', 'revoke', token], env);
      expect(revoke.code, revoke.stderr).to.equal(0);
      const lookup = await runFerry(['token', 'lookup'], { ...env, FERRY_TOKEN: token });
      expect(lookup.code).to.equal(2);
      expect(lookup.stderr + lookup.stdout).to.not.include(token);
    });

    it('creates an orphan token, then looks it up and revokes it by accessor', async () => {
      const accessor = (await runFerry(['token', 'create', '-orphan', '-field=token_accessor'], env)).stdout;
      expect(accessor).to.match(/^\S+$/);
      const lookup = await runFerry(['token', 'lookup', '-format=json', '-accessor', accessor], env);
      expect(lookup.code, lookup.stderr).to.equal(0);
      expect((JSON.parse(lookup.stdout) as { data: { orphan?: boolean } }).data.orphan).to.equal(true);
      const revoke = await runFerry(['token', 'revoke', '-accessor', accessor], env);
      expect(revoke.code, revoke.stderr).to.equal(0);
      const gone = await runFerry(['token', 'lookup', '-accessor', accessor], env);
      expect(gone.code).to.equal(2);
    });

    it('writes, reads, lists and deletes a policy', async () => {
      const rules = 'path "cli-kv/*" {\n  capabilities = ["read"]\n}\n';
      const write = await runFerry(['policy', 'write', 'cli-readers', '-'], env, rules);
      expect(write.code, write.stderr).to.equal(0);
      const read = await runFerry(['policy', 'read', 'cli-readers'], env);
      expect(read.stdout).to.include('path "cli-kv/*"');
      const list = await runFerry(['policy', 'list'], env);
      expect(list.stdout.split('\n')).to.include('cli-readers');
      const del = await runFerry(['policy', 'delete', 'cli-readers'], env);
      expect(del.code, del.stderr).to.equal(0);
    });

    it('exits 2 with the server messages for a failed write', async () => {
      const expected = await serverErrors(new VaultClient({ address: server.address, token: ROOT_TOKEN }), 'POST', 'sys/mounts/cli-kv', { type: 'kv' });
      const result = await runFerry(['write', 'sys/mounts/cli-kv', 'type=kv'], env);
      expect(result.code).to.equal(2);
      expect(result.stderr).to.include(
        `Error writing sys/mounts/cli-kv: Error making API request.\n\nURL: PUT ${server.address}/v1/sys/mounts/cli-kv\nCode: 400. Errors:\n\n`,
      );
      for (const message of expected) expect(result.stderr).to.include(`* ${message}`);
      expect(result.stderr).to.not.include(ROOT_TOKEN);
    });

    it('exits 2 with permission denied for a bad token and does not print it', async () => {
      const result = await runFerry(['read', 'sys/mounts'], { ...env, FERRY_TOKEN: 'hvs.bogus-token-value' });
      expect(result.code).to.equal(2);
      expect(result.stderr).to.include('Code: 403.');
      expect(result.stderr).to.include('permission denied');
      expect(result.stderr + result.stdout).to.not.include('hvs.bogus-token-value');
    });
  });
});
