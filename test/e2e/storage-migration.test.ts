import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { sharedPostgresCluster, type PostgresDatabase } from '../helpers/postgres-cluster.js';
import { querySqliteFile } from '../helpers/sqlite-file.js';
import { startSqliteServer, waitFor, type ApiResponse, type ServerHandle } from '../helpers/test-cluster.js';

/** Runs `ferry operator migrate`; `killOnFirstProgress` SIGKILLs it as soon as it reports its first batch. */
function runMigrate(configFile: string, killOnFirstProgress: boolean): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/ferry.js', 'operator', 'migrate', `-config=${configFile}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (killOnFirstProgress && stderr.includes('copied ')) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * Moving to PostgreSQL (issue 19): a populated SQLite primary with a secondary is stopped and
 * migrated with `ferry operator migrate`; the first run is killed with SIGKILL after its first
 * batch and the rerun resumes. The PostgreSQL table then holds every key byte for byte, the
 * primary starts on it with its old unseal keys, and its secondary follows it again.
 */
describe('operator migrate: SQLite to PostgreSQL', function () {
  this.timeout(240_000);

  let primary: ServerHandle;
  let secondary: ServerHandle;
  let db: PostgresDatabase;
  const SECRETS = 1200;

  const ok = (res: ApiResponse, what: string): void => {
    expect(res.status, `${what}: ${res.text}`).to.be.within(200, 204);
  };
  const merkleRoot = async (server: ServerHandle): Promise<string> =>
    (await server.request('GET', 'sys/replication/status', { token: null })).body.data.merkle_root as string;

  before(async () => {
    db = await (await sharedPostgresCluster()).createDatabase();
    [primary, secondary] = await Promise.all([startSqliteServer(), startSqliteServer()]);
    ok(await primary.request('POST', 'sys/mounts/app', { body: { type: 'kv', options: { version: '2' } } }), 'mount');
    ok(await primary.request('POST', 'sys/replication/primary/enable', { body: {} }), 'primary enable');
    const tokenRes = await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'dc2' } });
    ok(await secondary.request('POST', 'sys/replication/secondary/enable', { body: { token: tokenRes.body.wrap_info.token } }), 'secondary enable');
    secondary.unsealKeys = primary.unsealKeys;
    secondary.unsealThreshold = primary.unsealThreshold;
    secondary.rootToken = '';
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < SECRETS) {
          const i = next++;
          ok(await primary.request('POST', `app/data/s${i}`, { body: { data: { v: `value-${i}` } } }), `write ${i}`);
        }
      }),
    );
    await waitFor(async () => (await merkleRoot(primary)) === (await merkleRoot(secondary)), { timeoutMs: 60_000, description: 'the secondary in sync' });
  });

  after(async () => {
    await Promise.all([primary?.stop(), secondary?.stop()]);
  });

  it('migrates every key, survives a kill -9 half-way, and the primary runs on PostgreSQL with its secondary', async () => {
    await primary.stop();
    const sqlitePath = join(primary.dataDir, 'ferry.db');
    const configFile = join(primary.dataDir, 'migrate.hcl');
    writeFileSync(
      configFile,
      `storage_source "sqlite" {\n  path = ${JSON.stringify(sqlitePath)}\n}\nstorage_destination "postgresql" {\n  connection_url = ${JSON.stringify(db.url)}\n}\n`,
    );

    const killed = await runMigrate(configFile, true);
    expect(killed.signal, killed.stderr).to.equal('SIGKILL');
    const cluster = await sharedPostgresCluster();
    const marker = await cluster.query<{ n: string }>("SELECT count(*) AS n FROM vault_kv_store WHERE key = 'core/migration-progress'", [], db.name);
    expect(Number(marker[0]?.n), 'an unfinished migration is recorded').to.equal(1);

    const rerun = await runMigrate(configFile, false);
    expect(rerun.code, rerun.stderr).to.equal(0);
    expect(rerun.stderr).to.match(/resumed an unfinished migration/);
    expect(rerun.stdout).to.match(/Success! Migrated \d+ keys from sqlite to postgresql/);

    const source = await querySqliteFile<{ key: string; value: Buffer }>(sqlitePath, 'SELECT key, value FROM entries');
    const copied = await cluster.query<{ key: string; value: Buffer }>('SELECT key, value FROM vault_kv_store', [], db.name);
    const asMap = (rows: { key: string; value: Buffer }[]) => new Map(rows.map((r) => [r.key, r.value.toString('hex')]));
    expect(copied.length).to.equal(source.length);
    expect(asMap(copied)).to.deep.equal(asMap(source));

    // A second run refuses the now populated destination.
    const again = await runMigrate(configFile, false);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/not empty; rerun with -reset/);

    // Start the primary on PostgreSQL (same ports, same unseal keys).
    const hcl = join(primary.dataDir, 'ferry.hcl');
    writeFileSync(
      hcl,
      readFileSync(hcl, 'utf8').replace(/storage "sqlite" \{[^}]*\}/, `storage "postgresql" {\n  connection_url = ${JSON.stringify(db.url)}\n}`),
    );
    await primary.restart();
    expect(primary.logs()).to.include('postgresql storage opened');
    for (const i of [0, 1, 599, SECRETS - 1]) {
      const read = await primary.request('GET', `app/data/s${i}`);
      expect(read.status, read.text).to.equal(200);
      expect(read.body.data.data.v).to.equal(`value-${i}`);
    }
    const list = await primary.request('LIST', 'app/metadata/');
    expect(list.body.data.keys).to.have.length(SECRETS);

    // The secondary reconnects and follows new writes.
    ok(await primary.request('POST', 'app/data/after-migration', { body: { data: { v: 'pg' } } }), 'write on PostgreSQL');
    await waitFor(async () => (await merkleRoot(primary)) === (await merkleRoot(secondary)), {
      timeoutMs: 60_000,
      intervalMs: 200,
      description: 'the secondary to follow the primary on PostgreSQL',
    });
  });
});
