import { expect } from 'chai';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { reopenAuditFiles } from '../helpers/audit-sighup.js';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';

describe('audit log rotation: SIGHUP reopens the file, as Vault does', () => {
  let server: ServerHandle;
  before(async () => (server = await startDevServer()));
  after(async () => server?.stop());

  it('writes to the renamed file until SIGHUP, then to a new file at the path', async () => {
    const file = join(server.dataDir, 'audit.log');
    expect((await server.request('PUT', 'sys/audit/file', { body: { type: 'file', options: { file_path: file } } })).status).to.equal(204);
    expect((await server.request('PUT', 'secret/data/one', { body: { data: { v: '1' } } })).status).to.equal(200);
    renameSync(file, `${file}.1`);
    expect((await server.request('PUT', 'secret/data/two', { body: { data: { v: '2' } } })).status).to.equal(200);
    await reopenAuditFiles(server);
    expect((await server.request('PUT', 'secret/data/three', { body: { data: { v: '3' } } })).status).to.equal(200);
    const rotated = readFileSync(`${file}.1`, 'utf8');
    const current = readFileSync(file, 'utf8');
    expect(rotated).to.contain('secret/data/one').and.to.contain('secret/data/two').and.not.to.contain('secret/data/three');
    expect(current).to.contain('secret/data/three').and.not.to.contain('secret/data/one');
  });
});
