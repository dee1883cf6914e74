import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerConfig } from '../../../server/config/load-server-config.js';
import { ConfigError } from '../../../server/config/server-config.js';

describe('loadServerConfig with several -config paths', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-config-merge-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('merges files in order, later settings winning', async () => {
    const base = join(dir, 'base.hcl');
    const extra = join(dir, 'extra.hcl');
    await writeFile(base, 'storage "inmem" {}\nlistener "tcp" { tls_disable = true }\nlog_level = "debug"\ncluster_name = "east"\n');
    await writeFile(extra, 'log_level = "warn"\nlog_format = "json"\n');
    const config = await loadServerConfig([base, extra], {});
    expect(config).to.include({ logLevel: 'warn', logFormat: 'json', clusterName: 'east' });
  });

  it('reads the *.hcl and *.json files of a directory in name order', async () => {
    const conf = join(dir, 'conf.d');
    await mkdir(conf);
    await writeFile(join(conf, '10-storage.hcl'), 'storage "inmem" {}\nlistener "tcp" { tls_disable = true }\n');
    await writeFile(join(conf, '20-logs.json'), '{"log_format": "json"}');
    await writeFile(join(conf, 'README'), 'not a config');
    expect(await loadServerConfig(conf, {})).to.include({ logFormat: 'json' });
  });

  it('lets VAULT_LOG_FORMAT override the file', async () => {
    const file = join(dir, 'env.hcl');
    await writeFile(file, 'storage "inmem" {}\nlistener "tcp" { tls_disable = true }\nlog_format = "json"\n');
    expect(await loadServerConfig(file, { VAULT_LOG_FORMAT: 'standard' })).to.include({ logFormat: 'standard' });
  });

  it('refuses a directory without config files, naming it', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty);
    try {
      await loadServerConfig(empty, {});
      expect.fail('expected loadServerConfig to throw');
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.equal(`${empty}: no *.hcl or *.json config file found`);
    }
  });
});
