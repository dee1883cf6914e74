/**
 * Real `ferry server` processes for tests: free loopback ports, temp data dirs, a log file per
 * server, readiness by polling with a deadline (never fixed sleeps), and cleanup of every process
 * this helper spawned (mocha root `after` hook and process exit).
 *
 * Spawns the compiled server (`node bin/ferry.js` → `dist/`): `npm test` builds first; when running
 * one file with `npx mocha`, run `npm run build` before.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VaultClient } from '../../server/api-client/vault-client.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FERRY_BIN = join(REPO_ROOT, 'bin', 'ferry.js');
const LOOPBACK = '127.0.0.1';
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/** Options of one HTTP request to a test server. */
export interface RequestOptions {
  /** `X-Vault-Token`. Omitted: the server's root token. `null`: no token header at all. */
  readonly token?: string | null;
  /** An object is sent as JSON; a string or Buffer is sent as-is (for malformed-input tests). */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** A parsed HTTP response: `body` is the parsed JSON, or the raw text when it is not JSON. */
export interface ApiResponse<T = any> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
  readonly headers: Headers;
}

/** One running (or restartable) server process. */
export interface ServerHandle {
  /** Base URL, `http://127.0.0.1:PORT`. */
  readonly addr: string;
  readonly port: number;
  /** The cluster listener port (always port + 1). */
  readonly clusterPort: number;
  /** The root token (dev: the `-dev-root-token-id`; SQLite: from init; '' if not initialized by the helper). */
  rootToken: string;
  /** Base64 unseal keys (dev: the one printed; SQLite: from init). */
  unsealKeys: string[];
  /** How many keys `unseal()` must submit. */
  unsealThreshold: number;
  /** Where the server's stdout and stderr go (appended across restarts). */
  readonly logFile: string;
  /** Temp dir holding the log, the config and (SQLite) the database. */
  readonly dataDir: string;
  /** The running process, undefined after stop/kill9. */
  readonly process: ChildProcess | undefined;
  /** An HTTP request to `/v1/...`; `path` may be `sys/health` or `/v1/sys/health`. */
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  /** SIGTERM, then SIGKILL after a deadline; resolves when the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL; resolves when the process has exited. */
  kill9(): Promise<void>;
  /**
   * Stops the process if running (SIGTERM), starts it again with the same data dir and ports, and
   * unseals it with the known keys (unless `unseal: false`, to observe the sealed state first).
   */
  restart(options?: { unseal?: boolean }): Promise<void>;
  /** Resets any unseal progress, then submits unseal keys until unsealed (threshold many). */
  unseal(): Promise<void>;
  /** The log file's contents so far (every start of this server). */
  logs(): string;
}

export interface DevServerOptions {
  /** Root token id; random when omitted. */
  readonly rootTokenId?: string;
  readonly extraArgs?: readonly string[];
}

export interface SqliteServerOptions {
  /** Data dir to (re)use; a new temp dir when omitted. */
  readonly dataDir?: string;
  /** Run `sys/init` (3 shares, threshold 2) and unseal on first start. Default true. */
  readonly initialize?: boolean;
  /** Extra HCL appended to the generated config. */
  readonly extraConfig?: string;
  readonly extraArgs?: readonly string[];
  /** An HCL storage block to use instead of SQLite's (e.g. `storage "postgresql" { … }`). */
  readonly storage?: string;
  /** Environment variables added to the server process's. */
  readonly env?: Readonly<Record<string, string>>;
  /** The API address to advertise instead of the listener's own (e.g. one standbys cannot reach). */
  readonly advertisedApiAddr?: string;
}

const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** SIGKILLs every process this helper started (synchronous, for exit handlers). */
export function killAllServers(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  running.clear();
}

/** Removes the temp dirs (logs, configs, databases) unless FERRY_KEEP_TEST_DIRS is set. */
function removeTempDirs(): void {
  if (process.env.FERRY_KEEP_TEST_DIRS !== undefined) return;
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

process.on('exit', () => {
  killAllServers();
  removeTempDirs();
});
// Registered on mocha's root suite when loaded from a spec file: no test leaves servers behind.
if (typeof after === 'function') {
  after(async function cleanUpTestServers() {
    await Promise.all([...running].map((child) => stopProcess(child, 0)));
    removeTempDirs();
  });
}

/**
 * Polls `fn` until it returns something other than undefined/false/null, and returns that value.
 * Errors thrown by `fn` count as "not yet"; the last one is reported on timeout.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; description?: string } = {},
): Promise<Exclude<T, undefined | null | false>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, undefined | null | false>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${options.description ?? 'condition'}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, LOOPBACK, () => server.close(() => resolve(true)));
  });
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A loopback port P such that P and P+1 (the cluster port) are both free right now. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await ephemeralPort();
    // A server binds its cluster port (port + 1) only later (replication primary, HA active): never hand
    // out a port of a pair handed out before, or that pair's later bind would find it taken.
    if (port >= 65535 || handedOut.has(port) || handedOut.has(port + 1) || !(await isPortFree(port + 1))) continue;
    handedOut.add(port);
    handedOut.add(port + 1);
    return port;
  }
  throw new Error('no free loopback port pair found');
}

/** Every port (and its neighbour) `freePort` answered in this process. */
const handedOut = new Set<number>();

/**
 * One request to `baseUrl` + `/v1/...` through the project's API client, answered whatever its status and
 * parsed. The method goes out exactly as given (`LIST` stays the verb). A string body without a content type
 * is labelled `text/plain;charset=UTF-8`, as fetch labels it.
 */
export async function request<T = any>(baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const hasContentType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
  if (typeof options.body === 'string' && !hasContentType) headers['content-type'] = 'text/plain;charset=UTF-8';
  const client = new VaultClient({ address: baseUrl });
  const response = await client.send(method, path, { token: options.token ?? null, body: options.body, headers });
  const text = response.text;
  const parsed: unknown = text === '' ? undefined : response.json !== undefined ? response.json : text;
  return { status: response.status, body: parsed as T, text, headers: toHeaders(response.headers) };
}

function toHeaders(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}

function makeTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-test-'));
  tempDirs.add(dir);
  return dir;
}

async function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    running.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (graceMs > 0) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  } else {
    child.kill('SIGKILL');
    await exited;
  }
  running.delete(child);
}

/** Spawns `node bin/ferry.js <args>` with stdout+stderr appended to logFile. */
function spawnFerry(args: readonly string[], logFile: string, env?: Readonly<Record<string, string>>): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(process.execPath, [FERRY_BIN, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', fd, fd],
      ...(env ? { env: { ...process.env, ...env } } : {}),
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    return child;
  } finally {
    closeSync(fd);
  }
}

/** Waits until `sys/health` answers 200 (sealed/uninitialized count as up); fails fast if the process exits. */
async function waitUntilServing(child: ChildProcess, addr: string, logFile: string): Promise<void> {
  let lastStatus = 'no answer';
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const tail = (): string => readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
  try {
    await waitFor(
      async () => {
        if (hasExited()) return true; // stop polling; reported below
        const res = await request(addr, 'GET', 'sys/health?sealedcode=200&uninitcode=200&standbycode=200').catch(() => undefined);
        if (res === undefined) return false;
        lastStatus = `status ${res.status}`;
        return res.status === 200;
      },
      { timeoutMs: START_TIMEOUT_MS, description: `ferry server at ${addr} to answer sys/health` },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message} (last: ${lastStatus})\n--- server log tail ---\n${tail()}`);
  }
  if (hasExited()) throw new ExitedEarly(child.exitCode, child.signalCode, tail());
}

class ExitedEarly extends Error {
  constructor(
    readonly code: number | null,
    readonly signal: string | null,
    tail = '',
  ) {
    super(`ferry server exited before serving (code ${code}, signal ${signal})${tail ? `\n--- server log tail ---\n${tail}` : ''}`);
  }
}

/** Starts with a fresh port pair, retrying when a concurrent process grabbed the port first. */
async function startOnFreePorts(start: (port: number) => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      await start(port);
      return;
    } catch (err) {
      if (!(err instanceof ExitedEarly && /EADDRINUSE/.test(err.message)) || attempt >= 3) throw err;
    }
  }
}

class ProcessHandle implements ServerHandle {
  rootToken = '';
  unsealKeys: string[] = [];
  unsealThreshold = 1;
  process: ChildProcess | undefined;
  /** Where in the log file the current process's output begins. */
  private logOffset = 0;

  constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly logFile: string,
    private readonly args: readonly string[],
    private readonly afterStart: (handle: ProcessHandle) => Promise<void>,
    private readonly env?: Readonly<Record<string, string>>,
  ) {}

  get addr(): string {
    return `http://${LOOPBACK}:${this.port}`;
  }

  get clusterPort(): number {
    return this.port + 1;
  }

  async start(): Promise<void> {
    this.logOffset = Buffer.byteLength(this.logs());
    const child = spawnFerry(this.args, this.logFile, this.env);
    this.process = child;
    await waitUntilServing(child, this.addr, this.logFile);
    await this.afterStart(this);
  }

  request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const token = options.token === undefined ? this.rootToken || null : options.token;
    return request<T>(this.addr, method, path, { ...options, token });
  }

  async unseal(): Promise<void> {
    // Shares left over from an earlier (e.g. deliberately wrong) attempt would poison this round.
    await this.request('PUT', 'sys/unseal', { token: null, body: { reset: true } });
    for (const key of this.unsealKeys.slice(0, this.unsealThreshold)) {
      const res = await this.request('PUT', 'sys/unseal', { token: null, body: { key } });
      if (res.status !== 200) throw new Error(`unseal failed: ${res.status} ${res.text}`);
      if (res.body.sealed === false) return;
    }
    throw new Error('still sealed after submitting the threshold of unseal keys');
  }

  async stop(): Promise<void> {
    if (this.process !== undefined) await stopProcess(this.process, STOP_TIMEOUT_MS);
    this.process = undefined;
  }

  async kill9(): Promise<void> {
    if (this.process !== undefined) await stopProcess(this.process, 0);
    this.process = undefined;
  }

  async restart(options: { unseal?: boolean } = {}): Promise<void> {
    await this.stop();
    await this.start();
    if ((options.unseal ?? true) && this.unsealKeys.length > 0 && (await this.request('GET', 'sys/seal-status', { token: null })).body.sealed === true) {
      await this.unseal();
    }
  }

  logs(): string {
    return readFileSync(this.logFile, { encoding: 'utf8', flag: 'a+' });
  }

  /** The output of the current process only. */
  logsSinceStart(): string {
    return readFileSync(this.logFile).subarray(this.logOffset).toString('utf8');
  }
}

/**
 * A dev server (`-dev`: in-memory, initialized and unsealed). The unseal key is parsed from the
 * `Unseal Key: <base64>` line it prints.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<ServerHandle> {
  const dataDir = makeTempDir();
  const logFile = join(dataDir, 'server.log');
  const rootTokenId = options.rootTokenId ?? `root-${randomBytes(12).toString('hex')}`;
  let handle: ProcessHandle | undefined;
  await startOnFreePorts(async (port) => {
    const args = [
      'server',
      '-dev',
      '-dev-no-store-token',
      `-dev-root-token-id=${rootTokenId}`,
      `-dev-listen-address=${LOOPBACK}:${port}`,
      ...(options.extraArgs ?? []),
    ];
    const candidate = new ProcessHandle(port, dataDir, logFile, args, async (h) => {
      const key = await waitFor(() => /Unseal Key: (\S+)/.exec(h.logsSinceStart())?.[1], {
        timeoutMs: 5_000,
        description: 'the dev server to print its unseal key',
      });
      h.unsealKeys = [key];
      h.unsealThreshold = 1;
    });
    candidate.rootToken = rootTokenId;
    await candidate.start();
    handle = candidate;
  });
  return handle as ProcessHandle;
}

/**
 * A server on SQLite storage (`<dataDir>/ferry.db`) from a generated HCL config. On first start it is
 * initialized (3 shares, threshold 2) and unsealed, unless `initialize: false`. Given the `dataDir` of
 * an already initialized server it starts sealed: set `rootToken`/`unsealKeys`, then `unseal()`.
 * `storage` replaces the SQLite block (the same life cycle on another backend).
 */
export async function startSqliteServer(options: SqliteServerOptions = {}): Promise<ServerHandle> {
  const dataDir = options.dataDir ?? makeTempDir();
  const logFile = join(dataDir, 'server.log');
  const configFile = join(dataDir, 'ferry.hcl');
  let handle: ProcessHandle | undefined;
  await startOnFreePorts(async (port) => {
    writeFileSync(
      configFile,
      [
        options.storage ?? `storage "sqlite" {\n  path = ${JSON.stringify(join(dataDir, 'ferry.db'))}\n}`,
        `listener "tcp" {\n  address     = "${LOOPBACK}:${port}"\n  tls_disable = true\n}`,
        `api_addr     = "${options.advertisedApiAddr ?? `http://${LOOPBACK}:${port}`}"`,
        `cluster_addr = "https://${LOOPBACK}:${port + 1}"`,
        options.extraConfig ?? '',
        '',
      ].join('\n'),
    );
    const args = ['server', `-config=${configFile}`, ...(options.extraArgs ?? [])];
    const candidate = new ProcessHandle(port, dataDir, logFile, args, async () => undefined, options.env);
    await candidate.start();
    handle = candidate;
  });
  const h = handle as ProcessHandle;
  if (options.initialize ?? true) {
    const status = await h.request('GET', 'sys/init', { token: null });
    if (status.body?.initialized !== true) {
      const init = await h.request('PUT', 'sys/init', { token: null, body: { secret_shares: 3, secret_threshold: 2 } });
      if (init.status !== 200) throw new Error(`sys/init failed: ${init.status} ${init.text}`);
      h.rootToken = init.body.root_token;
      h.unsealKeys = init.body.keys_base64;
      h.unsealThreshold = 2;
      await h.unseal();
    }
  }
  return h;
}
