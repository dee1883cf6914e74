import { expect } from 'chai';
import { parseMigrationConfig } from '../../../server/config/migration-config.js';

describe('parseMigrationConfig', () => {
  it("reads Vault's storage_source and storage_destination blocks", () => {
    const config = parseMigrationConfig(
      'storage_source "sqlite" {\n  path = "/var/lib/ferry/ferry.db"\n}\nstorage_destination "postgresql" {\n  connection_url = "postgres://u:p@127.0.0.1:5432/db"\n  table = "kv"\n}\n',
      'migrate.hcl',
    );
    expect(config.source).to.deep.equal({ type: 'sqlite', path: '/var/lib/ferry/ferry.db' });
    expect(config.destination).to.include({ type: 'postgresql', connectionUrl: 'postgres://u:p@127.0.0.1:5432/db', table: 'kv' });
  });

  for (const [what, text, message] of [
    ['a missing destination', 'storage_source "sqlite" { path = "/a.db" }', /migrate.hcl: a storage_destination block is required/],
    ['an inmem end', 'storage_source "sqlite" { path = "/a.db" }\nstorage_destination "inmem" {}', /cannot be migrated/],
    ['the same storage twice', 'storage_source "sqlite" { path = "/a.db" }\nstorage_destination "sqlite" { path = "/a.db" }', /are the same storage/],
    [
      'an unknown setting',
      'storage_source "sqlite" { path = "/a.db" }\nstorage_destination "sqlite" { path = "/b.db" }\nlisten = 1',
      /unknown setting "listen"/,
    ],
    [
      'an unknown storage type',
      'storage_source "consul" {}\nstorage_destination "sqlite" { path = "/b.db" }',
      /storage_source "consul": unsupported storage type/,
    ],
  ] as const) {
    it(`refuses ${what}`, () => {
      expect(() => parseMigrationConfig(text, 'migrate.hcl')).to.throw(message);
    });
  }
});
