import { expect } from 'chai';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditDeviceEntry } from '../../../../server/core/audit/audit-device.js';
import type { AuditEvent } from '../../../../server/core/audit/audit-entry.js';
import { FileAuditDevice, validateFileOptions } from '../../../../server/core/audit/file-audit-device.js';
import { VaultError } from '../../../../server/core/vault-error.js';

const SALT = Buffer.alloc(32, 1).toString('base64');

function entry(options: Record<string, string>): AuditDeviceEntry {
  return { path: 'file/', type: 'file', description: '', options: validateFileOptions(options), local: false, salt: SALT };
}

function event(): AuditEvent {
  return {
    type: 'response',
    time: '2026-01-01T00:00:00.000Z',
    req: {
      id: 'req-1',
      operation: 'update',
      path: 'secret/data/app',
      data: { password: 'plain-password', count: 3 },
      clientToken: 'hvs.clienttoken',
      query: {},
      headers: {},
      remoteAddress: '127.0.0.1',
      auth: { tokenAccessor: 'accessor-1', tokenHash: 'h', policies: ['root'], displayName: 'root', isRoot: true, entityId: '' },
    },
    res: {
      data: { echoed: 'plain-password' },
      wrapInfo: { token: 'hvs.wraptoken', accessor: 'wrap-accessor', ttl: 60, creation_time: 't', creation_path: 'p' },
    },
  };
}

describe('FileAuditDevice', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-audit-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('validates options: file_path required and absolute, json only, no unknown options', () => {
    expect(() => validateFileOptions({})).to.throw(VaultError, 'file_path is required');
    expect(() => validateFileOptions({ file_path: 'relative.log' })).to.throw(VaultError);
    expect(() => validateFileOptions({ file_path: '/tmp/a', format: 'jsonx' })).to.throw(VaultError, 'only "json"');
    expect(() => validateFileOptions({ file_path: '/tmp/a', colour: 'red' })).to.throw(VaultError, 'unknown option');
    expect(() => validateFileOptions({ file_path: '/tmp/a', log_raw: 'maybe' })).to.throw(VaultError, 'log_raw');
    expect(validateFileOptions({ file_path: 'stdout' })).to.deep.equal({ file_path: 'stdout', format: 'json' });
  });

  it('writes 50 concurrent entries to a real file in fewer appends than entries, each whole on its own line', async () => {
    const file = join(dir, 'batched.log');
    const device = new FileAuditDevice(entry({ file_path: file }));
    const entries = 50;
    await Promise.all(Array.from({ length: entries }, () => device.log(event())));
    expect(device.appendCount, 'append calls for 50 concurrent entries').to.be.lessThan(entries / 2);
    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
    expect(lines).to.have.length(entries);
    for (const line of lines) expect((JSON.parse(line) as { type: string }).type).to.equal('response');
  });

  it("appends one prefixed JSON line per event with tokens, accessors and data HMAC'd", async () => {
    const file = join(dir, 'audit.log');
    const device = new FileAuditDevice(entry({ file_path: file, prefix: 'AUDIT:' }));
    await device.log(event());
    await device.log(event());
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines).to.have.length(2);
    expect(lines[0]?.startsWith('AUDIT:{')).to.equal(true);
    const text = lines.join('\n');
    for (const plain of ['plain-password', 'hvs.clienttoken', 'accessor-1', 'hvs.wraptoken', 'wrap-accessor']) expect(text).not.to.contain(plain);
    const parsed = JSON.parse((lines[0] as string).slice('AUDIT:'.length)) as Record<string, any>;
    expect(parsed.type).to.equal('response');
    expect(parsed.request.data.password).to.equal(device.hash('plain-password'));
    expect(parsed.request.data.count).to.equal(3);
    expect(parsed.request.client_token).to.equal(device.hash('hvs.clienttoken'));
    expect(parsed.auth.accessor).to.equal(device.hash('accessor-1'));
    expect(parsed.response.data.echoed).to.equal(device.hash('plain-password'));
    expect(parsed.response.wrap_info.token).to.equal(device.hash('hvs.wraptoken'));
    expect(parsed.request.path).to.equal('secret/data/app');
  });

  it('logs accessors in clear with hmac_accessor=false, and everything in clear with log_raw=true', async () => {
    const file = join(dir, 'a.log');
    await new FileAuditDevice(entry({ file_path: file, hmac_accessor: 'false' })).log(event());
    const text = await readFile(file, 'utf8');
    expect(text).to.contain('accessor-1');
    expect(text).not.to.contain('plain-password');
    const raw = join(dir, 'raw.log');
    await new FileAuditDevice(entry({ file_path: raw, log_raw: 'true' })).log(event());
    expect(await readFile(raw, 'utf8')).to.contain('plain-password');
  });

  it('rejects a write when the path is no longer a writable file, and the test write refuses it too', async () => {
    const file = join(dir, 'gone.log');
    const device = new FileAuditDevice(entry({ file_path: file }));
    await device.writeTestEntry();
    await rm(file);
    await mkdir(file);
    let failed = false;
    await device.log(event()).catch(() => (failed = true));
    expect(failed).to.equal(true);
    let refused: unknown;
    await device.writeTestEntry().catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(VaultError).with.property('code', 'invalid_request');
  });

  it('refuses a target that opens but cannot take data (/dev/full), naming the device and not the salt', async () => {
    const device = new FileAuditDevice(entry({ file_path: '/dev/full' }));
    let refused: unknown;
    await device.writeTestEntry().catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(VaultError).with.property('code', 'invalid_request');
    const message = (refused as VaultError).message;
    expect(message).to.contain(device.entry.path).and.contain('ENOSPC');
    expect(message).not.to.contain(device.entry.salt);
  });

  it('writes one real test entry that carries no token and no data', async () => {
    const file = join(dir, 'probe.log');
    await new FileAuditDevice(entry({ file_path: file })).writeTestEntry();
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines).to.have.length(1);
    const probe = JSON.parse(lines[0] as string) as { type: string; request: { path: string; data: unknown; client_token: string } };
    expect(probe.type).to.equal('request');
    expect(probe.request.path).to.equal('sys/audit/test');
    expect(probe.request.client_token).to.equal('');
    expect(probe.request.data).to.equal(null);
  });
});
