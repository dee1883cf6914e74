import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePortPair } from './bench-cluster.js';

/**
 * A throwaway PostgreSQL for benchmarks (the bench is compiled without `test/`, so it cannot use the
 * tests' helper): `initdb` into a temp dir (as the `postgres` OS user when run as root), a free
 * loopback port, password authentication, `fsync=on` and `synchronous_commit=on`. `stop()` shuts it
 * down and removes the dir; an exit handler does the same should the bench die first.
 */
const OS_USER = 'postgres';

export interface BenchPostgres {
  readonly port: number;
  /** A superuser URL to `database` (default `postgres`). */
  url(database?: string): string;
  /** Creates a database and returns a URL to it. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const isRoot = (): boolean => process.getuid?.() === 0;

function argv(command: string, args: readonly string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', OS_USER, '--', command, ...args]] : [command, [...args]];
}

function run(command: string, args: readonly string[]): Promise<void> {
  const [file, rest] = argv(command, args);
  return new Promise((resolve, reject) => {
    execFile(file, rest, { timeout: 120_000 }, (err, _stdout, stderr) => (err ? reject(new Error(`${command} failed: ${err.message}\n${stderr}`)) : resolve()));
  });
}

export async function startBenchPostgres(): Promise<BenchPostgres> {
  const baseDir = mkdtempSync(join(tmpdir(), 'ferry-bench-pg-'));
  const dataDir = join(baseDir, 'data');
  const password = randomBytes(18).toString('base64url');
  const pwFile = join(baseDir, 'pw');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (isRoot()) {
    const fields = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${OS_USER}:`))
      ?.split(':');
    if (fields === undefined) throw new Error(`no "${OS_USER}" OS user to run PostgreSQL as (install Debian's "postgresql" package)`);
    chownSync(baseDir, Number(fields[2]), Number(fields[3]));
    chownSync(pwFile, Number(fields[2]), Number(fields[3]));
  }
  chmodSync(baseDir, 0o700);
  let started = false;
  const stopSync = (): void => {
    if (started && existsSync(join(dataDir, 'postmaster.pid'))) {
      const [file, rest] = argv('pg_ctl', ['stop', '-w', '-m', 'immediate', '-D', dataDir]);
      spawnSync(file, rest, { stdio: 'ignore', timeout: 30_000 });
    }
    rmSync(baseDir, { recursive: true, force: true });
  };
  process.on('exit', stopSync);
  try {
    await run('initdb', ['-D', dataDir, '-U', 'postgres', '--pwfile', pwFile, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync']);
    rmSync(pwFile);
    const port = await freePortPair();
    const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${baseDir} -c max_connections=200 -c fsync=on -c synchronous_commit=on`;
    started = true;
    await run('pg_ctl', ['start', '-w', '-t', '60', '-D', dataDir, '-l', join(baseDir, 'postgres.log'), '-o', options]);
    const url = (database = 'postgres'): string => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}?sslmode=disable`;
    return {
      port,
      url,
      async createDatabase(name: string): Promise<string> {
        const client = new pg.Client({ connectionString: url() });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${name}`); // our own identifier
        } finally {
          await client.end();
        }
        return url(name);
      },
      async stop(): Promise<void> {
        await run('pg_ctl', ['stop', '-w', '-m', 'fast', '-D', dataDir]).catch(() => undefined);
        stopSync();
        process.off('exit', stopSync);
      },
    };
  } catch (err) {
    stopSync();
    process.off('exit', stopSync);
    throw err;
  }
}
