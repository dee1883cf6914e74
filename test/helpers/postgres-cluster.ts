/**
 * Throwaway PostgreSQL clusters for tests: `initdb` into a temp dir (as the `postgres` OS user when
 * run as root), a free loopback port, the Unix socket inside the temp dir, password authentication.
 * `pg_ctl start -w` waits for readiness, then a query proves it. Every cluster this helper started is
 * stopped and removed by the mocha root `after` hook, and killed on process exit.
 *
 * Missing binaries are an error, never a skip: install Debian's `postgresql` package.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, chownSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { freePort, waitFor } from './test-cluster.js';

const BINARIES = ['initdb', 'pg_ctl', 'postgres'] as const;
const REQUIRED_MAJOR_VERSION = 15;
const START_TIMEOUT_SECONDS = 60;
const OS_USER = 'postgres';
const SUPERUSER = 'postgres';

export interface PostgresCluster {
  readonly port: number;
  /** The temp dir holding the data dir, the socket and the server log. */
  readonly baseDir: string;
  readonly logFile: string;
  /** A superuser URL to the `postgres` database (password auth over TCP). */
  readonly superuserUrl: string;
  /**
   * Creates a database owned by a new login role with a random password, and returns a URL to it
   * (`postgres://role:password@127.0.0.1:port/db?sslmode=disable`).
   */
  createDatabase(): Promise<PostgresDatabase>;
  /** Runs one statement as the superuser in `database` (default `postgres`). */
  query<T extends pg.QueryResultRow = any>(sql: string, values?: unknown[], database?: string): Promise<T[]>;
  /**
   * `pg_ctl stop -m immediate`, keeping the data: every server process quits at once, WAL not yet
   * flushed is lost (as after a power cut, for commits that did not wait for the flush).
   */
  crash(): Promise<void>;
  /** Starts it again (after `crash`) on the same port and data dir; resolves once it answers. */
  start(): Promise<void>;
  /** `pg_ctl stop -m fast`, then removes the temp dir. */
  stop(): Promise<void>;
}

export interface PostgresDatabase {
  readonly url: string;
  readonly name: string;
  readonly user: string;
  readonly password: string;
}

const clusters = new Set<ClusterHandle>();

process.on('exit', () => {
  for (const cluster of clusters) cluster.stopSync();
});
// Registered on mocha's root suite when loaded from a spec file: no test leaves a cluster behind.
if (typeof after === 'function') {
  after(async function stopPostgresClusters() {
    this.timeout(60_000);
    await Promise.all([...clusters].map((cluster) => cluster.stop()));
    shared = undefined;
  });
}

/** Where a binary is on PATH, or undefined. */
function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Fails loudly, with the fix, unless initdb, pg_ctl and postgres (15 or newer) are on PATH. */
export function requirePostgresBinaries(): void {
  const missing = BINARIES.filter((name) => findOnPath(name) === undefined);
  if (missing.length > 0) {
    throw new Error(
      `PostgreSQL server binaries not found on PATH: ${missing.join(', ')}. These tests need a real PostgreSQL ${REQUIRED_MAJOR_VERSION}: ` +
        `install Debian's "postgresql" package (apt-get install -y postgresql) and put /usr/lib/postgresql/${REQUIRED_MAJOR_VERSION}/bin on PATH.`,
    );
  }
  const version = spawnSync('initdb', ['--version'], { encoding: 'utf8' }).stdout;
  const major = Number(/\(PostgreSQL\)\s+(\d+)/.exec(version)?.[1]);
  if (!(major >= REQUIRED_MAJOR_VERSION)) {
    throw new Error(
      `initdb reports ${JSON.stringify(version.trim())}; PostgreSQL ${REQUIRED_MAJOR_VERSION} or newer is required (Debian: apt-get install -y postgresql)`,
    );
  }
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** argv that runs `command` as the postgres OS user when we are root (initdb refuses to run as root). */
function asPostgresUser(command: string, args: readonly string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', OS_USER, '--', command, ...args]] : [command, [...args]];
}

function run(command: string, args: readonly string[], timeoutMs: number): Promise<string> {
  const [file, argv] = asPostgresUser(command, args);
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

class ClusterHandle implements PostgresCluster {
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private databases = 0;

  constructor(
    readonly port: number,
    readonly baseDir: string,
    private readonly superuserPassword: string,
  ) {}

  get dataDir(): string {
    return join(this.baseDir, 'data');
  }

  get logFile(): string {
    return join(this.baseDir, 'postgres.log');
  }

  get superuserUrl(): string {
    return this.url(SUPERUSER, this.superuserPassword, 'postgres');
  }

  url(user: string, password: string, database: string): string {
    return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${this.port}/${encodeURIComponent(database)}?sslmode=disable`;
  }

  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${this.baseDir}`,
      '-c max_connections=200',
      // Writes must really reach the disk: the durability tests rely on it.
      '-c fsync=on',
      '-c synchronous_commit=on',
    ].join(' ');
    await run(
      'pg_ctl',
      ['start', '-w', '-t', String(START_TIMEOUT_SECONDS), '-D', this.dataDir, '-l', this.logFile, '-o', options],
      (START_TIMEOUT_SECONDS + 10) * 1000,
    );
    await waitFor(async () => (await this.query('SELECT 1 AS ok'))[0]?.ok === 1, {
      timeoutMs: START_TIMEOUT_SECONDS * 1000,
      description: `PostgreSQL on 127.0.0.1:${this.port} to answer`,
    });
  }

  async createDatabase(): Promise<PostgresDatabase> {
    const n = ++this.databases;
    const name = `ferry_test_${n}`;
    const user = `ferry_${n}`;
    const password = randomBytes(18).toString('base64url');
    // Identifiers are ours; the password is a literal (CREATE ROLE takes no parameters).
    await this.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
    await this.query(`CREATE DATABASE ${name} OWNER ${user}`);
    return { url: this.url(user, password, name), name, user, password };
  }

  async query<T extends pg.QueryResultRow = any>(sql: string, values: unknown[] = [], database = 'postgres'): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.url(SUPERUSER, this.superuserPassword, database) });
    await client.connect();
    try {
      return (await client.query<T>(sql, values)).rows;
    } finally {
      await client.end();
    }
  }

  async crash(): Promise<void> {
    await run('pg_ctl', ['stop', '-w', '-m', 'immediate', '-D', this.dataDir], 60_000);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.stopped) return;
      // Stays registered until its dir is gone: should the process exit meanwhile, the exit handler finishes the job.
      if (existsSync(join(this.dataDir, 'postmaster.pid'))) {
        await run('pg_ctl', ['stop', '-w', '-m', 'fast', '-D', this.dataDir], 60_000).catch(() => this.stopSync());
      }
      this.removeDir();
      this.stopped = true;
      clusters.delete(this);
    })();
    return this.stopping;
  }

  /** For exit handlers: an immediate shutdown, synchronously. */
  stopSync(): void {
    if (this.stopped) return;
    this.stopped = true;
    clusters.delete(this);
    if (existsSync(join(this.dataDir, 'postmaster.pid'))) {
      const [file, argv] = asPostgresUser('pg_ctl', ['stop', '-w', '-m', 'immediate', '-D', this.dataDir]);
      spawnSync(file, argv, { stdio: 'ignore', timeout: 30_000 });
    }
    this.removeDir();
  }

  private removeDir(): void {
    if (process.env.FERRY_KEEP_TEST_DIRS === undefined) rmSync(this.baseDir, { recursive: true, force: true });
  }
}

/**
 * Starts a fresh cluster (initdb, start, ready). Throws, naming the fix, when PostgreSQL is not
 * installed.
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  requirePostgresBinaries();
  const baseDir = mkdtempSync(join(tmpdir(), 'ferry-pg-'));
  const superuserPassword = randomBytes(18).toString('base64url');
  const pwFile = join(baseDir, 'superuser-password');
  writeFileSync(pwFile, `${superuserPassword}\n`, { mode: 0o600 });
  if (isRoot()) {
    const { uid, gid } = postgresIds();
    chownSync(baseDir, uid, gid);
    chownSync(pwFile, uid, gid);
  }
  chmodSync(baseDir, 0o700);
  let cluster: ClusterHandle | undefined;
  try {
    await run(
      'initdb',
      ['-D', join(baseDir, 'data'), '-U', SUPERUSER, '--pwfile', pwFile, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'],
      120_000,
    );
    rmSync(pwFile);
    for (let attempt = 1; ; attempt++) {
      cluster = new ClusterHandle(await freePort(), baseDir, superuserPassword);
      clusters.add(cluster);
      try {
        await cluster.start();
        return cluster;
      } catch (err) {
        // Another process may have taken the port between choosing and binding it.
        const log = existsSync(cluster.logFile) ? readFileSync(cluster.logFile, 'utf8') : '';
        clusters.delete(cluster);
        if (!/could not bind|Address already in use/i.test(log) || attempt >= 3) throw new Error(`${(err as Error).message}\n--- postgres log ---\n${log}`);
      }
    }
  } catch (err) {
    if (cluster !== undefined) cluster.stopSync();
    else rmSync(baseDir, { recursive: true, force: true });
    throw err;
  }
}

function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${OS_USER}:`));
  const fields = line?.split(':');
  if (fields === undefined)
    throw new Error(`running as root, but there is no "${OS_USER}" OS user to run PostgreSQL as (install Debian's "postgresql" package)`);
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

let shared: Promise<PostgresCluster> | undefined;

/** One cluster per test process, started on first use; tests take fresh databases from it. */
export function sharedPostgresCluster(): Promise<PostgresCluster> {
  shared ??= startPostgresCluster();
  return shared;
}
