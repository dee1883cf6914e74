import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../provider/paths.js';
import { parseServerConfig } from '../../../server/config/server-config.js';

/** The README's "Configuration" section, up to the next `## ` heading. */
function configurationSection(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Configuration\n');
  expect(start, 'README has a "## Configuration" section').to.be.greaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

function hclBlocks(section: string): string[] {
  return [...section.matchAll(/```hcl\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

describe('README "Configuration"', () => {
  it('has a full example that parses to the settings it shows', async () => {
    const [full] = hclBlocks(configurationSection());
    const config = await parseServerConfig(full as string, 'README full example', {});
    expect(config).to.deep.equal({
      storage: { type: 'sqlite', path: '/var/lib/ferry/ferry.db' },
      listener: { address: '127.0.0.1:8200', tlsDisable: false, tlsCertFile: '/etc/ferry/tls.crt', tlsKeyFile: '/etc/ferry/tls.key' },
      apiAddr: 'https://ferry-east.example.com:8200',
      clusterAddr: 'https://ferry-east.example.com:8201',
      clusterName: 'east',
      logLevel: 'info',
      logFormat: 'standard',
      defaultLeaseTtlSeconds: 768 * 3600,
      maxLeaseTtlSeconds: 768 * 3600,
      uiEnabled: false,
      replication: { walRetentionEntries: 16384 },
      providerReleaseDir: '/srv/ferry/release',
    });
  });

  it('has a PostgreSQL storage block that parses in place of the SQLite one', async () => {
    const [full, postgresql] = hclBlocks(configurationSection());
    const swapped = (full as string).replace(/storage "sqlite" \{[\s\S]*?\n\}\n/, postgresql as string);
    const config = await parseServerConfig(swapped, 'README postgresql example', {});
    expect(config.storage).to.deep.include({ type: 'postgresql', table: 'vault_kv_store', maxParallel: 32, maxIdleConnections: 4 });
  });

  it('documents every setting of the full example in its table, and every table setting is in the example or a storage block', () => {
    const section = configurationSection();
    const [full, postgresql] = hclBlocks(section);
    const shown = new Set([...`${full}\n${postgresql}`.matchAll(/^\s*#?\s*([a-z_]+)\s*=/gm)].map((m) => m[1] as string));
    const table = section.split('\n').filter((line) => line.startsWith('| `'));
    for (const key of shown)
      expect(
        table.some((row) => row.includes(key)),
        `${key} documented in the table`,
      ).to.equal(true);
    const documented = new Set(table.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/[a-z_]{3,}/g)].map((m) => m[0])));
    for (const key of ['tcp', 'sqlite', 'postgresql', 'inmem', 'storage', 'listener', 'replication', 'ha_enabled', 'ha_table']) documented.delete(key);
    for (const key of documented) expect(shown.has(key), `${key} shown in an example`).to.equal(true);
  });
});
