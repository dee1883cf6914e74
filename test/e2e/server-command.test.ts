/**
 * `ferry server` as an operator meets it, with real processes: -h, the dev server's token file used
 * by the CLI (a temp HOME), `login -method=token token=X`, log formats, and SQLite path errors.
 * Needs `npm run build` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../../provider/paths.js';
import { SERVER_FLAGS } from '../../server/cli/server-flags.js';
import { freePort, waitFor } from '../helpers/test-cluster.js';

const FERRY_BIN = join(repoRoot, 'bin', 'ferry.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The test's environment without Vault/Ferry settings, plus `extra`. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(VAULT|FERRY)_/.test(key)) env[key] = value;
  return { ...env, ...extra };
}

function ferry(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FERRY_BIN, ...args], { cwd: repoRoot, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A running `ferry server` whose stdout and stderr are kept apart. */
class Server {
  stdout = '';
  stderr = '';
  /** stdout and stderr chunks in arrival order, to check that the banner comes before any log line. */
  readonly chunks: Array<{ stream: 'out' | 'err'; text: string }> = [];
  private readonly child: ChildProcess;
  private exitCode: number | null | undefined;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [FERRY_BIN, 'server', ...args], { cwd: repoRoot, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      this.chunks.push({ stream: 'out', text: d.toString() });
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.chunks.push({ stream: 'err', text: d.toString() });
    });
    this.child.on('exit', (code) => (this.exitCode = code));
  }

  async started(): Promise<void> {
    await waitFor(
      () => {
        if (this.exitCode !== undefined) throw new Error(`ferry server exited (${this.exitCode}):\n${this.stdout}\n${this.stderr}`);
        return this.stdout.includes('Log data will stream in below') && /server listening/.test(this.stderr);
      },
      { timeoutMs: 30_000, description: 'ferry server to start' },
    );
  }

  async exited(): Promise<number | null> {
    await waitFor(() => this.exitCode !== undefined, { timeoutMs: 30_000, description: 'ferry server to exit' });
    return this.exitCode ?? null;
  }

  async stop(): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGTERM');
    await this.exited();
  }
}

describe('ferry server: help, dev token file, logs and storage errors', function () {
  this.timeout(120_000);
  let work: string;
  const servers: Server[] = [];
  const serve = (args: string[], env: Record<string, string>): Server => {
    const server = new Server(args, env);
    servers.push(server);
    return server;
  };

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'ferry-server-command-'));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(work, { recursive: true, force: true });
  });

  it('prints every flag with its description for -h and --help, exit 0', async () => {
    for (const flag of ['-h', '--help', '-help']) {
      const run = await ferry(['server', flag], {});
      expect(run.code, flag).to.equal(0);
      expect(run.stdout).to.match(/^Usage: ferry server \[options\]/);
      for (const { name, description } of SERVER_FLAGS) {
        expect(run.stdout, name).to.include(`  -${name}`);
        expect(run.stdout.replace(/\s+/g, ' '), `${name} description`).to.include(description);
      }
    }
  });

  it('refuses an unknown flag with exit 2, pointing at -h', async () => {
    const run = await ferry(['server', '-dev', '-bogus'], {});
    expect(run.code).to.equal(2);
    expect(run.stderr).to.include('unknown flag -bogus').and.include('ferry server -h');
  });

  describe('a dev server with HOME in a temp folder', () => {
    let home: string;
    let addr: string;
    let server: Server;

    before(async () => {
      home = join(work, 'home');
      mkdirSync(home);
      const port = await freePort();
      addr = `http://127.0.0.1:${port}`;
      server = serve(['-dev', `-dev-listen-address=127.0.0.1:${port}`], { HOME: home });
      await server.started();
    });

    it("writes the root token to Vault's ~/.vault-token, owner-only, and says so", () => {
      const root = /Root Token: (\S+)/.exec(server.stdout)?.[1];
      expect(root, server.stdout).to.be.a('string');
      const file = join(home, '.vault-token');
      expect(readFileSync(file, 'utf8')).to.equal(root);
      expect(statSync(file).mode & 0o777).to.equal(0o600);
      expect(server.stdout).to.include(`The root token is stored in ${file}`);
    });

    it('lets `ferry read` work without VAULT_TOKEN, and VAULT_TOKEN wins over the file', async () => {
      const read = await ferry(['read', '-format=json', 'sys/mounts'], { HOME: home, VAULT_ADDR: addr });
      expect(read.code, read.stderr).to.equal(0);
      expect(JSON.parse(read.stdout)).to.have.nested.property('data.secret/');
      const wrong = await ferry(['read', 'sys/mounts'], { HOME: home, VAULT_ADDR: addr, VAULT_TOKEN: 'hvs.not-a-token' });
      expect(wrong.code).to.equal(2);
      expect(wrong.stderr).to.include('permission denied');
    });

    it('logs in with `login -method=token token=X`, storing X in the token file', async () => {
      const created = await ferry(['token', 'create', '-field=token', '-policy=default'], { HOME: home, VAULT_ADDR: addr });
      expect(created.code, created.stderr).to.equal(0);
      const child = created.stdout.trim();
      const login = await ferry(['login', '-method=token', `token=${child}`], { HOME: home, VAULT_ADDR: addr });
      expect(login.code, login.stderr).to.equal(0);
      expect(login.stdout).to.include('Success! You are now authenticated');
      expect(readFileSync(join(home, '.vault-token'), 'utf8')).to.equal(child);
      const lookup = await ferry(['token', 'lookup', '-format=json'], { HOME: home, VAULT_ADDR: addr });
      expect(JSON.parse(lookup.stdout).data.policies).to.deep.equal(['default']);
    });

    it('prints the whole banner on stdout before any log line, and standard log lines on stderr', () => {
      const firstErr = server.chunks.findIndex((c) => c.stream === 'err');
      const bannerEnd = server.chunks.findIndex((c) => c.stream === 'out' && c.text.includes('Log data will stream in below'));
      expect(bannerEnd).to.be.within(0, firstErr);
      expect(server.stdout).to.not.match(/\[INFO\]|"level"/);
      const lines = server.stderr.trim().split('\n');
      for (const line of lines) expect(line).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[(TRACE|DEBUG|INFO|WARN|ERROR)\] {1,2}\S/);
      expect(server.stderr).to.match(/\[INFO\] {2}server listening: api_addr=http:\/\/127\.0\.0\.1:\d+ /);
    });
  });

  it('writes one JSON object per log line with one "module" key for log_format = "json"', async () => {
    const port = await freePort();
    const dir = join(work, 'json');
    mkdirSync(dir);
    const config = join(dir, 'ferry.hcl');
    writeFileSync(
      config,
      `storage "sqlite" { path = "${join(dir, 'ferry.db')}" }\nlistener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_disable = true\n}\nlog_format = "json"\nlog_level = "debug"\n`,
    );
    const server = serve([`-config=${config}`], { HOME: dir });
    await server.started();
    const init = await fetch(`http://127.0.0.1:${port}/v1/sys/init`, { method: 'PUT', body: JSON.stringify({ secret_shares: 1, secret_threshold: 1 }) });
    const { keys } = (await init.json()) as { keys: string[] };
    await fetch(`http://127.0.0.1:${port}/v1/sys/unseal`, { method: 'PUT', body: JSON.stringify({ key: keys[0] }) });
    await waitFor(() => server.stderr.includes('post-unseal setup complete'), { timeoutMs: 20_000, description: 'the unseal log lines' });
    await server.stop();
    const lines = server.stderr.trim().split('\n');
    expect(lines.length).to.be.greaterThan(3);
    for (const line of lines) {
      const record = JSON.parse(line) as Record<string, unknown>;
      expect(record).to.have.property('level').that.is.a('number');
      expect(line.match(/"module":/g)?.length ?? 0, line).to.be.at.most(1);
    }
    expect(lines.some((line) => (JSON.parse(line) as { module?: string }).module === 'expiration')).to.equal(true);
    expect(server.stdout).to.include('Log Format: json');
    expect(server.stderr).to.not.include(keys[0] as string);
  });

  it('takes the log level from VAULT_LOG_LEVEL and the format from -log-format', async () => {
    const port = await freePort();
    const server = serve(['-dev', '-dev-no-store-token', `-dev-listen-address=127.0.0.1:${port}`, '-log-format=json'], { HOME: work, VAULT_LOG_LEVEL: 'warn' });
    await waitFor(() => server.stdout.includes('Log data will stream in below'), { timeoutMs: 30_000, description: 'the banner' });
    expect(server.stdout).to.include('Log Level: warn').and.include('Log Format: json');
    await server.stop();
    for (const line of server.stderr
      .trim()
      .split('\n')
      .filter((l) => l !== ''))
      expect((JSON.parse(line) as { level: number }).level).to.be.at.least(40);
  });

  it('names a bad log_format and exits 1', async () => {
    const config = join(work, 'bad-log.hcl');
    writeFileSync(config, 'storage "inmem" {}\nlistener "tcp" { tls_disable = true }\nlog_format = "xml"\n');
    const run = await ferry(['server', `-config=${config}`], {});
    expect(run.code).to.equal(1);
    expect(run.stderr).to.include(`Error loading configuration: ${config}: log_format must be "standard" or "json"`);
  });

  describe('SQLite path', () => {
    const sqliteConfig = async (path: string): Promise<string> => {
      const port = await freePort();
      const file = join(work, `sqlite-${port}.hcl`);
      writeFileSync(file, `storage "sqlite" { path = "${path}" }\nlistener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_disable = true\n}\n`);
      return file;
    };

    it('refuses a path in a missing folder, naming it, exit 1, no folder created', async () => {
      const missing = join(work, 'no-such-folder');
      const run = await ferry(['server', `-config=${await sqliteConfig(join(missing, 'ferry.db'))}`], { HOME: work });
      expect(run.code, run.stderr).to.equal(1);
      expect(run.stderr).to.include(
        `Error starting the server: storage "sqlite": the folder "${missing}" for path "${join(missing, 'ferry.db')}" does not exist; create it first`,
      );
      expect(run.stderr).to.not.include('SQLITE_CANTOPEN');
      expect(() => statSync(missing)).to.throw();
    });

    it('stores the database as <dir>/ferry.db when path is a directory', async () => {
      const dir = join(work, 'data-dir');
      mkdirSync(dir);
      const server = serve([`-config=${await sqliteConfig(dir)}`], { HOME: work });
      await server.started();
      expect(statSync(join(dir, 'ferry.db')).isFile()).to.equal(true);
      await server.stop();
    });
  });
});
