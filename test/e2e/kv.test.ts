import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import vault from 'node-vault';
import { querySqliteFile } from '../helpers/sqlite-file.js';
import { startDevServer, startSqliteServer, type ServerHandle } from '../helpers/test-cluster.js';
import { failureOf, type VaultClient } from '../helpers/node-vault-client.js';

type Client = VaultClient;

const CANARY = 'CANARY-e2e-kv-3b9d71';

describe('KV secrets engine through a real server (node-vault client)', () => {
  let server: ServerHandle;
  let client: Client;

  before(async () => {
    server = await startSqliteServer();
    client = vault({ endpoint: server.addr, token: server.rootToken });
  });
  after(async () => {
    await server?.stop();
  });

  for (const version of ['1', '2'] as const) {
    for (const local of [false, true]) {
      const mount = `kv${version}-${local ? 'local' : 'replicated'}`;
      describe(`KV v${version}, ${local ? 'local' : 'replicated'} mount at ${mount}/`, () => {
        before(async () => {
          await client.mount({ mount_point: mount, type: 'kv', options: { version }, local, description: `e2e ${mount}` });
        });

        it('shows local as set in the mount list, with the KV version', async () => {
          const mounts = await client.mounts();
          const entry = mounts.data[`${mount}/`];
          expect(entry).to.include({ type: 'kv', local });
          expect(entry.options).to.deep.equal({ version });
        });

        it('cannot flip local by tuning', async () => {
          const refused = await failureOf(client.write(`sys/mounts/${mount}/tune`, { local: !local }));
          expect(refused.status).to.equal(400);
          const entry = (await client.mounts()).data[`${mount}/`];
          expect(entry.local).to.equal(local);
          // An ordinary tune still works and leaves local alone.
          await client.write(`sys/mounts/${mount}/tune`, { description: 'tuned' });
          expect((await client.mounts()).data[`${mount}/`]).to.include({ local, description: 'tuned' });
        });

        if (version === '1') {
          it('writes, reads, lists and deletes', async () => {
            await client.write(`${mount}/app/db`, { username: 'svc', password: CANARY });
            await client.write(`${mount}/app/cache/redis`, { url: 'redis://127.0.0.1' });
            expect((await client.read(`${mount}/app/db`)).data).to.deep.equal({ username: 'svc', password: CANARY });
            expect((await client.list(`${mount}/app/`)).data.keys).to.deep.equal(['cache/', 'db']);
            await client.delete(`${mount}/app/db`);
            expect((await failureOf(client.read(`${mount}/app/db`))).status).to.equal(404);
            expect((await client.list(`${mount}/app`)).data.keys).to.deep.equal(['cache/']);
          });

          it('answers a missing key with 404 {"errors":[]} and an empty LIST with 404', async () => {
            expect(await failureOf(client.read(`${mount}/missing`))).to.deep.equal({ status: 404, body: { errors: [] } });
            expect((await failureOf(client.list(`${mount}/nothing-here/`))).status).to.equal(404);
          });
        } else {
          it('writes versions, reads any of them, lists, soft-deletes, undeletes and destroys', async () => {
            const first = await client.write(`${mount}/data/app/db`, { data: { password: 'v1' } });
            expect(first.data).to.include({ version: 1, deletion_time: '', destroyed: false });
            await client.write(`${mount}/data/app/db`, { data: { password: CANARY }, options: { cas: 1 } });
            const cas = await failureOf(client.write(`${mount}/data/app/db`, { data: { password: 'x' }, options: { cas: 1 } }));
            expect(cas).to.deep.equal({ status: 400, body: { errors: ['check-and-set parameter did not match the current version'] } });

            const current = await client.read(`${mount}/data/app/db`);
            expect(current.data.data).to.deep.equal({ password: CANARY });
            expect(current.data.metadata.version).to.equal(2);
            expect((await client.read(`${mount}/data/app/db?version=1`)).data.data).to.deep.equal({ password: 'v1' });
            expect((await client.list(`${mount}/metadata/app/`)).data.keys).to.deep.equal(['db']);

            await client.delete(`${mount}/data/app/db`);
            const deleted = await failureOf(client.read(`${mount}/data/app/db`));
            expect(deleted.status).to.equal(404);
            expect(deleted.body.data.data).to.equal(null);
            expect(deleted.body.data.metadata.deletion_time).not.to.equal('');
            await client.write(`${mount}/undelete/app/db`, { versions: [2] });
            expect((await client.read(`${mount}/data/app/db`)).data.data).to.deep.equal({ password: CANARY });

            await client.destroySecretVersions({ mount_point: mount, path: 'app/db', versions: [1] });
            const meta = (await client.read(`${mount}/metadata/app/db`)).data;
            expect(meta).to.include({ current_version: 2, oldest_version: 1 });
            expect(meta.versions['1'].destroyed).to.equal(true);
            expect(meta.versions['2']).to.include({ destroyed: false, deletion_time: '' });

            await client.delete(`${mount}/metadata/app/db`);
            expect((await failureOf(client.read(`${mount}/metadata/app/db`))).status).to.equal(404);
            expect((await failureOf(client.list(`${mount}/metadata/app/`))).status).to.equal(404);
          });

          it('keeps max_versions from the mount config', async () => {
            await client.write(`${mount}/config`, { max_versions: 2 });
            for (let i = 1; i <= 4; i++) await client.write(`${mount}/data/rotating`, { data: { i } });
            const meta = (await client.read(`${mount}/metadata/rotating`)).data;
            expect(Object.keys(meta.versions)).to.deep.equal(['3', '4']);
            expect(meta.oldest_version).to.equal(3);
            expect((await client.read(`${mount}/config`)).data).to.include({ max_versions: 2, cas_required: false });
          });
        }
      });
    }
  }

  // Declared after the per-mount suites so that mocha runs these once all of them have written.
  describe('across the mounts above', () => {
    it('mounts kv-v2 as type kv with version 2', async () => {
      await client.mount({ mount_point: 'aliased', type: 'kv-v2' });
      expect((await client.mounts()).data['aliased/']).to.deep.include({ type: 'kv', options: { version: '2' } });
      await client.write('aliased/data/x', { data: { a: 1 } });
      expect((await client.read('aliased/data/x')).data.data).to.deep.equal({ a: 1 });
    });

    it("keeps local mounts' data under local/ in storage and replicated mounts' data outside it", async () => {
      const mounts = (await client.mounts()).data;
      const keys = (await querySqliteFile<{ key: string }>(join(server.dataDir, 'ferry.db'), 'SELECT key FROM entries')).map((r) => r.key);
      for (const version of ['1', '2']) {
        const replicated = mounts[`kv${version}-replicated/`].uuid as string;
        const local = mounts[`kv${version}-local/`].uuid as string;
        expect(
          keys.some((k) => k.startsWith(`logical/${replicated}/`)),
          `replicated v${version}`,
        ).to.equal(true);
        expect(
          keys.some((k) => k.startsWith(`local/logical/${local}/`)),
          `local v${version}`,
        ).to.equal(true);
        expect(keys.some((k) => k.includes(local) && !k.startsWith('local/'))).to.equal(false);
      }
    });

    it('leaves no plaintext secret in the server log or the storage file', async () => {
      expect(server.logs()).not.to.include(CANARY);
      expect(readFileSync(join(server.dataDir, 'ferry.db')).includes(Buffer.from(CANARY))).to.equal(false);
    });

    it('keeps KV data across a restart', async () => {
      await client.write('kv2-replicated/data/durable', { data: { v: 'kept' } });
      await client.write('kv1-local/durable', { v: 'kept-local' });
      await server.restart();
      expect((await client.read('kv2-replicated/data/durable')).data.data).to.deep.equal({ v: 'kept' });
      expect((await client.read('kv1-local/durable')).data).to.deep.equal({ v: 'kept-local' });
    });
  });
});

describe('dev mode', () => {
  it('mounts secret/ as KV version 2', async () => {
    const server = await startDevServer({ rootTokenId: 'dev-root' });
    try {
      const client = vault({ endpoint: server.addr, token: 'dev-root' });
      expect((await client.mounts()).data['secret/']).to.deep.include({ type: 'kv', options: { version: '2' }, local: false });
      await client.write('secret/data/hello', { data: { foo: 'world' } });
      expect((await client.read('secret/data/hello')).data.data).to.deep.equal({ foo: 'world' });
    } finally {
      await server.stop();
    }
  });
});
