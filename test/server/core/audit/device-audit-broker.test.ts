import { expect } from 'chai';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layout } from '../../../../server/core/storage-layout.js';
import { startInProcessCore, type InProcessCore } from '../../../helpers/in-process-core.js';

const SECRET = 'audit-plaintext-7f3c';

describe('DeviceAuditBroker', () => {
  let env: InProcessCore;
  let dir: string;
  beforeEach(async () => {
    env = await startInProcessCore();
    dir = await mkdtemp(join(tmpdir(), 'ferry-audit-'));
  });
  afterEach(async () => {
    await env.core.sealCore();
    await rm(dir, { recursive: true, force: true });
  });

  const enable = (path: string, options: Record<string, unknown>, local = false) =>
    env.call('update', `sys/audit/${path}`, { data: { type: 'file', description: `device ${path}`, options, local } });
  const lines = async (file: string) =>
    (await readFile(file, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);

  it("lists devices in Vault's shape without the salt, and stores local ones apart", async () => {
    await enable('file', { file_path: join(dir, 'a.log') });
    await enable('mine', { file_path: join(dir, 'b.log') }, true);
    const res = await env.call('read', 'sys/audit');
    expect(res?.data?.['file/']).to.deep.equal({
      type: 'file',
      description: 'device file',
      options: { file_path: join(dir, 'a.log'), format: 'json' },
      local: false,
      path: 'file/',
    });
    expect((res?.data?.['mine/'] as { local: boolean }).local).to.equal(true);
    expect(JSON.stringify(res)).not.to.contain('salt');
    expect(await env.physical.get(layout.auditTable(false))).not.to.equal(undefined);
    expect(await env.physical.get(layout.auditTable(true))).not.to.equal(undefined);
    expect(env.core.audit.deviceCount).to.equal(2);
  });

  it("writes a request and a response entry per request, with data HMAC'd and matching sys/audit-hash", async () => {
    const file = join(dir, 'audit.log');
    await enable('file', { file_path: file });
    await env.call('update', 'leasing/values/app', { data: { password: SECRET } });
    const res = await env.call('read', 'leasing/values/app');
    expect(res?.data?.password).to.equal(SECRET);
    const text = await readFile(file, 'utf8');
    expect(text).not.to.contain(SECRET);
    expect(text).not.to.contain(env.rootToken);
    const entries = await lines(file);
    const write = entries.filter((e) => e.request.path === 'leasing/values/app' && e.request.operation !== 'read');
    expect(write.map((e) => e.type)).to.deep.equal(['request', 'response']);
    expect(write[0]?.request.id).to.equal(write[1]?.request.id);
    const read = entries.find((e) => e.type === 'response' && e.request.operation === 'read');
    const hash = await env.call('update', 'sys/audit-hash/file', { data: { input: SECRET } });
    expect(hash?.data?.hash).to.match(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(read?.response.data.password).to.equal(hash?.data?.hash);
    expect(write[0]?.request.data.password).to.equal(hash?.data?.hash);
    expect(read?.response.mount_type).to.equal('leasing');
  });

  it('fails closed: with the only device broken a read is refused, and a healthy second device restores service', async () => {
    const file = join(dir, 'only.log');
    await enable('file', { file_path: file });
    await env.call('update', 'leasing/values/app', { data: { password: SECRET } });
    await rm(file);
    await mkdir(file);
    // The file stays open until a reopen (SIGHUP), as Vault's does: only then is the broken path met.
    await env.core.audit.reopen();
    const err = await env.fails('read', 'leasing/values/app', 'internal');
    expect(err.message).to.equal('failed to log request');
    expect(err.message).not.to.contain(SECRET);
    // Enabling a device is itself audited: it works only because the new device logs the response.
    await env.fails('update', 'sys/audit/second', 'internal', { data: { type: 'file', options: { file_path: join(dir, 'second.log') } } });
    await rm(file, { recursive: true });
    await enable('second', { file_path: join(dir, 'second.log') });
    await rm(file, { force: true });
    await mkdir(file);
    await env.core.audit.reopen();
    const res = await env.call('read', 'leasing/values/app');
    expect(res?.data?.password).to.equal(SECRET);
    const second = await lines(join(dir, 'second.log'));
    expect(second.some((e) => e.type === 'response' && e.request.path === 'leasing/values/app')).to.equal(true);
  });

  it('refuses the response when it cannot be logged, after the request entry was written', async () => {
    const file = join(dir, 'only.log');
    await enable('file', { file_path: file });
    await env.call('update', 'leasing/values/app', { data: { password: SECRET } });
    const logRequest = env.core.audit.logRequest.bind(env.core.audit);
    let calls = 0;
    // Break the file between the request and the response entry.
    env.core.audit.logRequest = async (req, error) => {
      await logRequest(req, error);
      if (req.path === 'leasing/values/app' && calls++ === 0) {
        await rm(file);
        await mkdir(file);
        await env.core.audit.reopen();
      }
    };
    const err = await env.fails('read', 'leasing/values/app', 'internal');
    expect(err.message).to.equal('failed to log response');
  });

  it("never lets one device's options reach another device's entries", async () => {
    await enable('raw', { file_path: join(dir, 'raw.log'), log_raw: 'true' });
    await enable('hashed', { file_path: join(dir, 'hashed.log'), hmac_accessor: 'false', prefix: 'P:' });
    await env.call('update', 'leasing/values/app', { data: { password: SECRET } });
    expect(await readFile(join(dir, 'raw.log'), 'utf8')).to.contain(SECRET);
    const hashed = await readFile(join(dir, 'hashed.log'), 'utf8');
    expect(hashed).not.to.contain(SECRET);
    expect(
      hashed
        .split('\n')
        .filter((l) => l !== '')
        .every((l) => l.startsWith('P:')),
    ).to.equal(true);
    expect(await readFile(join(dir, 'raw.log'), 'utf8')).not.to.contain('P:{');
    const a = await env.call('update', 'sys/audit-hash/raw', { data: { input: 'x' } });
    const b = await env.call('update', 'sys/audit-hash/hashed', { data: { input: 'x' } });
    expect(a?.data?.hash).not.to.equal(b?.data?.hash);
  });

  it('refuses bad enables with 400: unknown type, duplicate path, unwritable file, bad path', async () => {
    await enable('file', { file_path: join(dir, 'a.log') });
    await env.fails('update', 'sys/audit/x', 'invalid_request', { data: { type: 'socket', options: { address: '127.0.0.1:9' } } });
    await env.fails('update', 'sys/audit/file', 'invalid_request', { data: { type: 'file', options: { file_path: join(dir, 'b.log') } } });
    await env.fails('update', 'sys/audit/y', 'invalid_request', { data: { type: 'file', options: { file_path: dir } } });
    await env.fails('update', 'sys/audit/a/../b', 'invalid_request', { data: { type: 'file', options: { file_path: join(dir, 'c.log') } } });
    expect(env.core.audit.deviceCount).to.equal(1);
  });

  it('disables a device; with none left nothing is refused', async () => {
    const file = join(dir, 'a.log');
    await enable('file', { file_path: file });
    await env.call('delete', 'sys/audit/file');
    expect(env.core.audit.deviceCount).to.equal(0);
    await rm(file);
    await mkdir(file);
    await env.call('update', 'leasing/values/app', { data: { password: SECRET } });
  });

  it('refuses data nested too deeply before walking it', async () => {
    await enable('file', { file_path: join(dir, 'a.log') });
    let deep: unknown = 'x';
    for (let i = 0; i < 400; i++) deep = { d: deep };
    await env.fails('update', 'leasing/values/deep', 'invalid_request', { data: { deep } });
  });

  it('does not audit health and seal-status, so probes answer while the device is broken', async () => {
    const file = join(dir, 'a.log');
    await enable('file', { file_path: file });
    await rm(file);
    await mkdir(file);
    await env.call('read', 'sys/seal-status');
    await env.call('read', 'sys/health');
  });

  it('reloads when the invalidation dispatcher routes a changed core/audit to it (as replication applies it)', async () => {
    await enable('file', { file_path: join(dir, 'a.log') });
    const stored = await env.core.barrier.get(layout.auditTable(false));
    await env.call('delete', 'sys/audit/file');
    await env.core.barrier.put(layout.auditTable(false), stored as Buffer);
    expect(env.core.audit.deviceCount).to.equal(0);
    await env.core.onReplicatedChange([layout.auditTable(false)]);
    expect(env.core.audit.deviceCount).to.equal(1);
  });

  it("logs a wrapped response's wrapping token HMAC'd", async () => {
    const file = join(dir, 'a.log');
    await enable('file', { file_path: file });
    const res = await env.call('update', 'sys/wrapping/wrap', { data: { password: SECRET }, wrapTtlSeconds: 60 });
    const token = res?.wrapInfo?.token as string;
    const text = await readFile(file, 'utf8');
    expect(text).not.to.contain(token);
    expect(text).not.to.contain(SECRET);
    const entry = (await lines(file)).find((e) => e.type === 'response' && e.request.path === 'sys/wrapping/wrap');
    expect(entry?.response.wrap_info.token).to.match(/^hmac-sha256:/);
    expect(entry?.response.wrap_info.creation_path).to.equal('sys/wrapping/wrap');
  });
});
