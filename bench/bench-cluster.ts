import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VaultClient } from '../server/api-client/vault-client.js';
import { type Observation, readPublishedTrace } from './wal-observation.js';

/**
 * Real `ferry server` processes for benchmarks: SQLite storage in a temp dir, loopback ports
 * (API port P, cluster port P+1), initialized with one unseal key and unsealed. Every process is
 * tracked and killed by `stopAllBenchServers()`. `FERRY_BENCH_NODE_ARGS` (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`) is passed to every server's node, for profiling.
 */
const LOOPBACK = '127.0.0.1';
const FERRY_BIN = join(import.meta.dirname, '..', '..', 'bin', 'ferry.js');
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

const servers = new Set<BenchServer>();

export interface BenchServerOptions {
  /** Extra HCL appended to the config (e.g. a `replication { ... }` block). */
  readonly extraConfig?: string;
  /** Another build's `bin/ferry.js` (a baseline to compare with); this tree's by default. */
  readonly bin?: string;
  /** A `storage "..." { ... }` block replacing the default SQLite file in the data dir. */
  readonly storage?: string;
  /** Initialize (1 share) and unseal; false leaves that to the caller (an HA node joining a cluster). Default true. */
  readonly initialize?: boolean;
  /** How long a start may take before the health check gives up (a large keyspace is indexed first). */
  readonly startTimeoutMs?: number;
  /**
   * Record the replication stream's stages (`FERRY_REPLICATION_TRACE`, into `<dir>/trace/`): a
   * secondary's trace tells when its `last_remote_wal` moved, without a request to ask it.
   */
  readonly traceReplication?: boolean;
  /** Where the data dir (SQLite files, config, log) is made: the OS temp dir by default; e.g. `/dev/shm` for tmpfs. */
  readonly dataRoot?: string;
}

/** A JSON answer of the server's API (undefined when empty); throws ApiError on 4xx/5xx. */
export async function api(base: string, method: string, path: string, token: string, body?: unknown): Promise<any> {
  return (await new VaultClient({ address: base, token }).request(method, path, { body })) ?? undefined;
}

async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer()
      .once('error', () => resolve(false))
      .listen(port, LOOPBACK, () => s.close(() => resolve(true)));
  });
}

/**
 * Ports of pairs already handed out by this process. A server binds its cluster port (P+1) only when
 * replication is enabled, so until then the kernel may offer that port to the next `listen(0)`: servers
 * started together (Promise.all) would otherwise get overlapping pairs.
 */
const handedOut = new Set<number>();

/** A loopback port P with P+1 also free, overlapping no pair handed out before. */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, LOOPBACK, () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    // Checked after the await: a pair handed out meanwhile counts too.
    if (port < 65535 && (await isPortFree(port + 1)) && !handedOut.has(port) && !handedOut.has(port + 1)) {
      handedOut.add(port);
      handedOut.add(port + 1);
      return port;
    }
  }
  throw new Error('no free loopback port pair');
}

/** One SQLite-backed server process, restartable on the same data dir and ports. */
export class BenchServer {
  rootToken = '';
  unsealKey = '';
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly bin: string,
    private readonly startTimeoutMs = START_TIMEOUT_MS,
    private readonly traceDir?: string,
  ) {}

  get addr(): string {
    return `http://${LOOPBACK}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get dbPath(): string {
    return join(this.dir, 'ferry.db');
  }

  /**
   * When this secondary's `last_remote_wal` moved (or with 'persisted', when that was committed), from its own replication trace (times on this
   * process's `performance.now()` clock; the trace is flushed every 500 ms). Undefined without a
   * trace: not started with `traceReplication`, or a build that writes none.
   */
  publishedWal(mark: 'published' | 'persisted' = 'published'): Observation[] | undefined {
    const pid = this.child?.pid;
    return this.traceDir === undefined || pid === undefined ? undefined : readPublishedTrace(join(this.traceDir, `${pid}.ndjson`), mark);
  }

  /** Starts, initializes (1 share) and unseals a fresh server. */
  static async start(options: BenchServerOptions = {}): Promise<BenchServer> {
    const port = await freePortPair();
    const dir = mkdtempSync(join(options.dataRoot ?? tmpdir(), 'ferry-bench-'));
    writeFileSync(
      join(dir, 'ferry.hcl'),
      [
        options.storage ?? `storage "sqlite" {\n  path = ${JSON.stringify(join(dir, 'ferry.db'))}\n}`,
        `listener "tcp" {\n  address     = "${LOOPBACK}:${port}"\n  tls_disable = true\n}`,
        `api_addr     = "http://${LOOPBACK}:${port}"`,
        `cluster_addr = "https://${LOOPBACK}:${port + 1}"`,
        'log_level    = "info"',
        options.extraConfig ?? '',
        '',
      ].join('\n'),
    );
    const traceDir = options.traceReplication === true ? join(dir, 'trace') : undefined;
    if (traceDir !== undefined) mkdirSync(traceDir);
    const server = new BenchServer(port, dir, options.bin ?? FERRY_BIN, options.startTimeoutMs, traceDir);
    servers.add(server);
    await server.spawn();
    if (options.initialize === false) return server;
    const init = await api(server.addr, 'PUT', 'sys/init', '', { secret_shares: 1, secret_threshold: 1 });
    server.rootToken = init.root_token;
    server.unsealKey = init.keys_base64[0];
    await server.unseal();
    return server;
  }

  private async spawn(): Promise<void> {
    const fd = openSync(join(this.dir, 'server.log'), 'a');
    const nodeArgs = (process.env.FERRY_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
    try {
      const env = this.traceDir === undefined ? process.env : { ...process.env, FERRY_REPLICATION_TRACE: this.traceDir };
      this.child = spawn(process.execPath, [...nodeArgs, this.bin, 'server', `-config=${join(this.dir, 'ferry.hcl')}`], { stdio: ['ignore', fd, fd], env });
    } finally {
      closeSync(fd);
    }
    const child = this.child;
    const deadline = Date.now() + this.startTimeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`ferry server exited early; see ${join(this.dir, 'server.log')}`);
      const res = await new VaultClient({ address: this.addr }).send('GET', 'sys/health?standbyok=true&sealedcode=200&uninitcode=200').catch(() => undefined);
      if (res?.status === 200) return;
      if (Date.now() > deadline) throw new Error(`ferry server at ${this.addr} did not answer within ${this.startTimeoutMs}ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async unseal(): Promise<void> {
    const res = await api(this.addr, 'PUT', 'sys/unseal', '', { key: this.unsealKey });
    if (res.sealed !== false) throw new Error('still sealed after the unseal key');
  }

  /** SIGTERM (SIGKILL after a deadline); resolves once the process has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /** SIGKILL; resolves once the process has exited. */
  async kill9(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts again on the same data dir and ports, and unseals with the known key. */
  async restart(): Promise<void> {
    await this.stop();
    await this.spawn();
    await this.unseal();
  }

  /**
   * CPU seconds (user + system) the process has used so far, from /proc (Linux; NaN elsewhere).
   * Assumes the usual 100 clock ticks per second.
   */
  cpuSeconds(): number {
    const pid = this.child?.pid;
    return cpuSecondsOf(`/proc/${pid}/stat`, pid);
  }

  /** `sys/replication/status` data (unauthenticated). */
  async replicationStatus(): Promise<Record<string, any>> {
    return (await api(this.addr, 'GET', 'sys/replication/status', '')).data as Record<string, any>;
  }

  /** Stops the process and removes its data dir. */
  async dispose(): Promise<void> {
    await this.stop();
    servers.delete(this);
    if (process.env.FERRY_KEEP_BENCH_DIRS === undefined) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Makes `secondary` a secondary of `primary` (which must be a replication primary) and adopts the primary's keys. */
export async function activateSecondary(primary: BenchServer, secondary: BenchServer, id: string): Promise<void> {
  const token = await api(primary.addr, 'POST', 'sys/replication/primary/secondary-token', primary.rootToken, { id });
  await api(secondary.addr, 'POST', 'sys/replication/secondary/enable', secondary.rootToken, { token: token.wrap_info.token });
  secondary.unsealKey = primary.unsealKey;
  secondary.rootToken = ''; // its own root token was wiped; the primary's is local to the primary
}

/** Polls until `fn` is truthy; throws after `timeoutMs`. */
export async function waitUntil(fn: () => Promise<boolean>, timeoutMs: number, what: string, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Stops and removes every server started by this module. */
export async function stopAllBenchServers(): Promise<void> {
  await Promise.all([...servers].map((s) => s.dispose()));
}

/** utime + stime, in seconds, from a `/proc/…/stat` file (a process's, or one thread's under task/). */
function cpuSecondsOf(stat: string, pid: number | undefined): number {
  if (pid === undefined || !existsSync(stat)) return Number.NaN;
  const fields = readFileSync(stat, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
