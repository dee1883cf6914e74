import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_LEASE_TTL_SECONDS, DEFAULT_WAL_RETENTION_ENTRIES, parseServerConfig } from '../../../server/config/server-config.js';
import { loadServerConfig } from '../../../server/config/load-server-config.js';

const MINIMAL = 'storage "inmem" {}\nlistener "tcp" { tls_disable = true }\n';

async function configError(text: string, source = 'config.hcl'): Promise<string> {
  try {
    await parseServerConfig(text, source);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected parseServerConfig to throw');
}

describe('server-config', () => {
  describe('parseServerConfig', () => {
    it('reads a full Vault-style HCL config', async () => {
      const config = await parseServerConfig(
        `
storage "sqlite" {
  path = "/var/lib/ferry/ferry.db"
}
listener "tcp" { address = "127.0.0.1:8300" tls_cert_file = "/etc/ferry/tls.crt" tls_key_file = "/etc/ferry/tls.key" }
api_addr = "https://127.0.0.1:8300"
cluster_addr = "https://127.0.0.1:8301"
cluster_name = "east"
log_level = "Debug"
ui = true
disable_mlock = true
default_lease_ttl = "1h"
max_lease_ttl = "24h"
replication {
  logshipper_buffer_length = 1000
}
`,
        'config.hcl',
      );
      expect(config).to.deep.equal({
        storage: { type: 'sqlite', path: '/var/lib/ferry/ferry.db' },
        listener: { address: '127.0.0.1:8300', tlsDisable: false, tlsCertFile: '/etc/ferry/tls.crt', tlsKeyFile: '/etc/ferry/tls.key' },
        apiAddr: 'https://127.0.0.1:8300',
        clusterAddr: 'https://127.0.0.1:8301',
        clusterName: 'east',
        logLevel: 'debug',
        logFormat: 'standard',
        uiEnabled: true,
        defaultLeaseTtlSeconds: 3600,
        maxLeaseTtlSeconds: 86400,
        replication: { walRetentionEntries: 1000 },
      });
    });

    it('fills in defaults', async () => {
      const config = await parseServerConfig(MINIMAL, 'config.hcl');
      expect(config).to.deep.equal({
        storage: { type: 'inmem' },
        listener: { address: '127.0.0.1:8200', tlsDisable: true },
        logLevel: 'info',
        logFormat: 'standard',
        uiEnabled: false,
        defaultLeaseTtlSeconds: DEFAULT_LEASE_TTL_SECONDS,
        maxLeaseTtlSeconds: DEFAULT_LEASE_TTL_SECONDS,
        replication: { walRetentionEntries: DEFAULT_WAL_RETENTION_ENTRIES },
      });
    });

    it('reads the same config written as JSON', async () => {
      const json = await parseServerConfig(
        JSON.stringify({
          storage: { sqlite: { path: '/x.db' } },
          listener: [{ tcp: { address: '127.0.0.1:8200', tls_disable: 'true' } }],
          replication: { logshipper_buffer_length: 16 },
          ui: false,
        }),
        'config.json',
      );
      const hcl = await parseServerConfig(
        'storage "sqlite" { path = "/x.db" }\nlistener "tcp" { address = "127.0.0.1:8200" tls_disable = "true" }\nreplication { logshipper_buffer_length = 16 }\nui = false',
        'config.hcl',
      );
      expect(json).to.deep.equal(hcl);
      expect(json.replication.walRetentionEntries).to.equal(16);
    });

    it('reads the pre-wipe snapshot folder of the replication block', async () => {
      const config = await parseServerConfig(`${MINIMAL}replication { pre_wipe_snapshot_dir = "/var/lib/ferry/pre-wipe" }`, 'c.hcl');
      expect(config.replication.preWipeSnapshotDir).to.equal('/var/lib/ferry/pre-wipe');
    });

    it('reads synchronous DR: off by default, a 5s timeout unless set', async () => {
      expect((await parseServerConfig(MINIMAL, 'c.hcl', {})).replication.drSynchronous).to.equal(undefined);
      const on = await parseServerConfig(`${MINIMAL}replication { dr_synchronous = true }`, 'c.hcl', {});
      expect(on.replication.drSynchronous).to.deep.equal({ timeoutSeconds: 5 });
      const timed = await parseServerConfig(`${MINIMAL}replication {\n  dr_synchronous = "true"\n  dr_synchronous_timeout = "30s"\n}`, 'c.hcl', {});
      expect(timed.replication.drSynchronous?.timeoutSeconds).to.equal(30);
    });

    it('accepts "backend" as an alias of "storage"', async () => {
      const config = await parseServerConfig('backend "sqlite" { path = "/x.db" }\nlistener "tcp" { tls_disable = 1 }', 'c.hcl');
      expect(config.storage).to.deep.equal({ type: 'sqlite', path: '/x.db' });
      expect(config.listener.tlsDisable).to.equal(true);
    });

    for (const [value, expected] of [
      ['true', true],
      ['"true"', true],
      ['"1"', true],
      ['1', true],
      ['false', false],
      ['"0"', false],
    ] as const) {
      it(`reads tls_disable = ${value} as ${expected}`, async () => {
        const text = `storage "inmem" {}\nlistener "tcp" {\n tls_disable = ${value}\n tls_cert_file = "c"\n tls_key_file = "k"\n}`;
        expect((await parseServerConfig(text, 'c.hcl')).listener.tlsDisable).to.equal(expected);
      });
    }

    it('returns a deeply frozen config', async () => {
      const config = await parseServerConfig(MINIMAL, 'config.hcl');
      expect(Object.isFrozen(config)).to.equal(true);
      expect(Object.isFrozen(config.listener)).to.equal(true);
      expect(Object.isFrozen(config.storage)).to.equal(true);
      expect(Object.isFrozen(config.replication)).to.equal(true);
    });

    describe('stops on an unknown or invalid setting, naming it', () => {
      const cases: readonly (readonly [string, string, string])[] = [
        ['an unknown top-level setting', `${MINIMAL}foo = 1`, 'config.hcl: unknown setting "foo"'],
        ['an unknown block', `${MINIMAL}telemetry { statsd_address = "x" }`, 'config.hcl: unknown setting "telemetry"'],
        [
          'an unknown listener setting',
          'storage "inmem" {}\nlistener "tcp" {\n tls_disable = true\n tls_min_version = "tls12"\n}',
          'config.hcl: listener "tcp": unknown setting "tls_min_version"',
        ],
        [
          'an unknown storage setting',
          'storage "sqlite" {\n path = "/x"\n journal = "wal"\n}\nlistener "tcp" { tls_disable = true }',
          'config.hcl: storage "sqlite": unknown setting "journal"',
        ],
        [
          'an unknown replication setting',
          `${MINIMAL}replication { resolver_discover_servers = true }`,
          'config.hcl: replication: unknown setting "resolver_discover_servers"',
        ],
        [
          'TLS without a certificate',
          'storage "inmem" {}\nlistener "tcp" { address = "127.0.0.1:8200" }',
          'config.hcl: listener "tcp": tls_cert_file is required unless tls_disable = true',
        ],
        [
          'TLS without a key',
          'storage "inmem" {}\nlistener "tcp" { tls_cert_file = "/c" }',
          'config.hcl: listener "tcp": tls_key_file is required unless tls_disable = true',
        ],
        [
          'an unsupported storage type',
          'storage "consul" { address = "x" }\nlistener "tcp" { tls_disable = true }',
          'config.hcl: storage "consul": unsupported storage type (supported: "sqlite", "postgresql", "inmem")',
        ],
        ['sqlite without a path', 'storage "sqlite" {}\nlistener "tcp" { tls_disable = true }', 'config.hcl: storage "sqlite": path is required'],
        [
          'a missing storage block',
          'listener "tcp" { tls_disable = true }',
          'config.hcl: a storage block is required (storage "sqlite" { path = "…" } or storage "inmem" {})',
        ],
        ['two storage blocks', `${MINIMAL}backend "inmem" {}`, 'config.hcl: only one storage block is permitted'],
        ['a missing listener', 'storage "inmem" {}', 'config.hcl: a listener "tcp" block is required'],
        ['two listeners', `${MINIMAL}listener "tcp" { tls_disable = true }`, 'config.hcl: only one listener block is supported'],
        [
          'a unix listener',
          'storage "inmem" {}\nlistener "unix" { address = "/s" }',
          'config.hcl: listener "unix": unsupported listener type (supported: "tcp")',
        ],
        [
          'a bad listener address',
          'storage "inmem" {}\nlistener "tcp" {\n address = "localhost"\n tls_disable = true\n}',
          'config.hcl: listener "tcp": address must be host:port, e.g. 127.0.0.1:8200',
        ],
        [
          'a port out of range',
          'storage "inmem" {}\nlistener "tcp" {\n address = "127.0.0.1:70000"\n tls_disable = true\n}',
          'config.hcl: listener "tcp": address must be host:port, e.g. 127.0.0.1:8200',
        ],
        ['a bad boolean', 'storage "inmem" {}\nlistener "tcp" { tls_disable = "yes please" }', 'config.hcl: listener "tcp": tls_disable must be true or false'],
        ['a bad log level', `${MINIMAL}log_level = "loud"`, 'config.hcl: log_level must be one of trace, debug, info, warn, error'],
        ['a bad api_addr', `${MINIMAL}api_addr = "127.0.0.1:8200"`, 'config.hcl: api_addr must be an http(s) URL such as https://127.0.0.1:8200'],
        [
          'a bad cluster_addr',
          `${MINIMAL}cluster_addr = "tcp://127.0.0.1:8201"`,
          'config.hcl: cluster_addr must be an http(s) URL such as https://127.0.0.1:8200',
        ],
        [
          'a relative pre-wipe snapshot folder',
          `${MINIMAL}replication { pre_wipe_snapshot_dir = "snapshots" }`,
          'config.hcl: replication: pre_wipe_snapshot_dir must be an absolute path',
        ],
        [
          'a synchronous DR timeout without synchronous DR',
          `${MINIMAL}replication { dr_synchronous_timeout = "10s" }`,
          'config.hcl: replication: dr_synchronous_timeout needs dr_synchronous = true',
        ],
        [
          'a synchronous DR timeout under a second',
          `${MINIMAL}replication {\n  dr_synchronous = true\n  dr_synchronous_timeout = "0s"\n}`,
          'config.hcl: replication: dr_synchronous_timeout must be at least 1s',
        ],
        ['a bad synchronous DR flag', `${MINIMAL}replication { dr_synchronous = "always" }`, 'config.hcl: replication: dr_synchronous must be true or false'],
        [
          'a non-positive buffer length',
          `${MINIMAL}replication { logshipper_buffer_length = 0 }`,
          'config.hcl: replication: logshipper_buffer_length must be a positive integer',
        ],
        [
          'a fractional buffer length',
          `${MINIMAL}replication { logshipper_buffer_length = 1.5 }`,
          'config.hcl: replication: logshipper_buffer_length must be a positive integer',
        ],
        ['a bad duration', `${MINIMAL}max_lease_ttl = "forever"`, 'config.hcl: max_lease_ttl must be a duration such as "768h" or a number of seconds'],
        [
          'default TTL above max TTL',
          `${MINIMAL}default_lease_ttl = "2h"\nmax_lease_ttl = "1h"`,
          'config.hcl: default_lease_ttl must not be greater than max_lease_ttl',
        ],
        ['a string setting given a number', `${MINIMAL}cluster_name = 5`, 'config.hcl: cluster_name must be a non-empty string'],
        ['a block where a value belongs', `${MINIMAL}api_addr { x = 1 }`, 'config.hcl: api_addr must be a value, not a block'],
        ['storage given as a value', 'storage = "inmem"\nlistener "tcp" { tls_disable = true }', 'config.hcl: storage must be a block'],
      ];
      for (const [what, text, message] of cases) {
        it(`refuses ${what}`, async () => {
          expect(await configError(text)).to.equal(message);
        });
      }

      it('refuses a syntax error with its position', async () => {
        expect(await configError('storage "inmem" {\nlistener "tcp" {', 'ferry.hcl')).to.match(/^ferry\.hcl: At \d+:\d+: /);
      });

      it('refuses malformed JSON', async () => {
        expect(await configError('{"storage": {"inmem": {}}', 'ferry.json')).to.match(/^ferry\.json: invalid JSON/);
      });
    });
  });

  describe('storage "postgresql"', () => {
    const URL = 'postgres://ferry:s3cret-pw@db.example:5433/vault?sslmode=disable';
    const LISTENER = 'listener "tcp" { tls_disable = true }\n';
    const pgConfig = (body: string): string => `storage "postgresql" {\n${body}\n}\n${LISTENER}`;
    const NO_ENV = {};

    async function pgError(text: string, env: NodeJS.ProcessEnv = NO_ENV): Promise<string> {
      try {
        await parseServerConfig(text, 'config.hcl', env);
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('expected parseServerConfig to throw');
    }

    it("reads Vault's keys", async () => {
      const config = await parseServerConfig(
        pgConfig(
          `connection_url = "${URL}"\ntable = "ferry_kv"\nmax_parallel = "16"\nmax_idle_connections = 4\nha_enabled = "false"\nha_table = "ferry_locks"`,
        ),
        'config.hcl',
        NO_ENV,
      );
      expect(config.storage).to.deep.equal({
        type: 'postgresql',
        connectionUrl: URL,
        table: 'ferry_kv',
        maxParallel: 16,
        maxIdleConnections: 4,
        haEnabled: false,
        haTable: 'ferry_locks',
      });
    });

    it('reads ha_enabled = true with the default lock table', async () => {
      const config = await parseServerConfig(pgConfig(`connection_url = "${URL}"\nha_enabled = "true"`), 'config.hcl', NO_ENV);
      expect(config.storage).to.include({ type: 'postgresql', haEnabled: true, haTable: 'vault_ha_locks' });
    });

    it("fills in Vault's defaults", async () => {
      const config = await parseServerConfig(pgConfig(`connection_url = "${URL}"`), 'config.hcl', NO_ENV);
      expect(config.storage).to.deep.equal({
        type: 'postgresql',
        connectionUrl: URL,
        table: 'vault_kv_store',
        maxParallel: 128,
        haEnabled: false,
        haTable: 'vault_ha_locks',
      });
    });

    it('reads the same settings written as JSON', async () => {
      const json = await parseServerConfig(
        JSON.stringify({ storage: { postgresql: { connection_url: URL, max_parallel: 8 } }, listener: { tcp: { tls_disable: true } } }),
        'config.json',
        NO_ENV,
      );
      const hcl = await parseServerConfig(pgConfig(`connection_url = "${URL}"\nmax_parallel = 8`), 'config.hcl', NO_ENV);
      expect(json.storage).to.deep.equal(hcl.storage);
    });

    it('takes the connection URL from VAULT_PG_CONNECTION_URL, over connection_url', async () => {
      const fromEnv = 'postgresql://other@127.0.0.1/db2';
      const env = { VAULT_PG_CONNECTION_URL: fromEnv };
      expect((await parseServerConfig(pgConfig(`connection_url = "${URL}"`), 'c.hcl', env)).storage).to.include({ connectionUrl: fromEnv });
      expect((await parseServerConfig(pgConfig(''), 'c.hcl', env)).storage).to.include({ connectionUrl: fromEnv });
    });

    it('ignores an empty VAULT_PG_CONNECTION_URL', async () => {
      const config = await parseServerConfig(pgConfig(`connection_url = "${URL}"`), 'c.hcl', { VAULT_PG_CONNECTION_URL: '' });
      expect(config.storage).to.include({ connectionUrl: URL });
    });

    it('refuses a missing connection URL', async () => {
      expect(await pgError(pgConfig('table = "t"'))).to.equal('config.hcl: storage "postgresql": connection_url is required (or set VAULT_PG_CONNECTION_URL)');
    });

    it('refuses a connection string that is not a postgres:// URL without repeating it (it may hold a password)', async () => {
      const dsn = 'host=db user=ferry password=s3cret-pw dbname=vault';
      const message = await pgError(pgConfig(`connection_url = "${dsn}"`));
      expect(message).to.equal('config.hcl: storage "postgresql": connection_url must be a postgres:// or postgresql:// URL');
      const fromEnv = await pgError(pgConfig(''), { VAULT_PG_CONNECTION_URL: `mysql://ferry:s3cret-pw@db/x` });
      expect(fromEnv).to.equal('config.hcl: VAULT_PG_CONNECTION_URL must be a postgres:// or postgresql:// URL');
      expect(message + fromEnv).to.not.include('s3cret-pw');
    });

    const refusals: readonly (readonly [string, string, string])[] = [
      ['a zero max_parallel', 'max_parallel = 0', 'max_parallel must be a positive integer'],
      ['a non-numeric max_parallel', 'max_parallel = "lots"', 'max_parallel must be a positive integer'],
      ['a negative max_idle_connections', 'max_idle_connections = -1', 'max_idle_connections must be a non-negative integer'],
      ['an empty table name', 'table = ""', 'table must be a non-empty string'],
      ['a table name longer than PostgreSQL keeps', `table = "${'t'.repeat(64)}"`, 'table must be at most 63 bytes long'],
      ['the same name for both tables', 'table = "x"\nha_table = "x"', 'ha_table must differ from table'],
      ['an unknown setting', 'upsert_function = "f"', 'unknown setting "upsert_function"'],
    ];
    for (const [what, line, message] of refusals) {
      it(`refuses ${what}`, async () => {
        expect(await pgError(pgConfig(`connection_url = "${URL}"\n${line}`))).to.equal(`config.hcl: storage "postgresql": ${message}`);
      });
    }
  });

  describe('loadServerConfig', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ferry-config-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reads a config file', async () => {
      const path = join(dir, 'ferry.hcl');
      await writeFile(path, `storage "sqlite" { path = "${join(dir, 'ferry.db')}" }\nlistener "tcp" { tls_disable = true }\n`);
      const config = await loadServerConfig(path);
      expect(config.storage).to.deep.equal({ type: 'sqlite', path: join(dir, 'ferry.db') });
    });

    it('names the file in its errors', async () => {
      const path = join(dir, 'bad.hcl');
      await writeFile(path, `${MINIMAL}seal "awskms" {}\n`);
      try {
        await loadServerConfig(path);
        expect.fail('expected loadServerConfig to throw');
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        expect((err as Error).message).to.equal(`${path}: unknown setting "seal"`);
      }
    });

    it('reports a missing file as a ConfigError', async () => {
      const path = join(dir, 'missing.hcl');
      try {
        await loadServerConfig(path);
        expect.fail('expected loadServerConfig to throw');
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        expect((err as Error).message).to.equal(`${path}: cannot read config file (ENOENT)`);
      }
    });
  });
});

describe('server-config: provider_release_dir', () => {
  it('is optional, and read when it is an absolute path', async () => {
    expect((await parseServerConfig(MINIMAL, 'config.hcl')).providerReleaseDir).to.equal(undefined);
    expect((await parseServerConfig(`${MINIMAL}provider_release_dir = "/srv/ferry/release"\n`, 'config.hcl')).providerReleaseDir).to.equal(
      '/srv/ferry/release',
    );
  });

  it('refuses a relative path, naming the setting', async () => {
    expect(await configError(`${MINIMAL}provider_release_dir = "dist/release"\n`)).to.equal('config.hcl: provider_release_dir must be an absolute path');
  });
});
