import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Barrier, hasEntry, KEYRING_PATH, StorageView, termOf } from '../../../server/core/barrier.js';
import { VaultError } from '../../../server/core/vault-error.js';
import { MemoryBackend } from '../../../server/storage/memory-backend.js';
import { SqliteBackend } from '../../../server/storage/sqlite-backend.js';
import { querySqliteFile } from '../../helpers/sqlite-file.js';

const buf = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Runs an async call that must fail (by rejecting or by throwing), and returns the error. */
async function rejectionOf(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

async function storedValue(dbPath: string, key: string): Promise<Buffer> {
  const [row] = await querySqliteFile<{ value: Buffer }>(dbPath, 'SELECT value FROM entries WHERE key = ?', [key]);
  if (row === undefined) throw new Error(`no stored entry ${key}`);
  return row.value;
}

async function overwriteStored(dbPath: string, key: string, value: Buffer): Promise<void> {
  await querySqliteFile(dbPath, 'UPDATE entries SET value = ? WHERE key = ?', [value, key]);
}

describe('Barrier (AES-256-GCM over a SQLite file)', () => {
  let dir: string;
  let dbPath: string;
  let physical: SqliteBackend;
  let barrier: Barrier;
  let rootKey: Buffer;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-barrier-test-'));
    dbPath = join(dir, 'ferry.db');
    physical = await SqliteBackend.open({ path: dbPath });
    barrier = new Barrier(physical);
    rootKey = randomBytes(32);
    await barrier.initialize(rootKey);
  });

  afterEach(async () => {
    await physical.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips values, and only ciphertext reaches the file', async () => {
    const secret = 'correct horse battery staple';
    await barrier.put('secret/app', buf(secret));
    expect((await barrier.get('secret/app'))?.toString()).to.equal(secret);
    const raw = await storedValue(dbPath, 'secret/app');
    expect(raw.includes(buf(secret))).to.equal(false);
    expect(raw.length).to.be.greaterThan(secret.length);
    expect(await barrier.get('secret/missing')).to.equal(undefined);
  });

  it('uses a fresh nonce per write: the same value twice gives two ciphertexts', async () => {
    await barrier.put('a', buf('same'));
    const first = await storedValue(dbPath, 'a');
    await barrier.put('a', buf('same'));
    expect(Buffer.compare(first, await storedValue(dbPath, 'a'))).to.not.equal(0);
  });

  it('decrypts what scan and transaction wrote, and lists keys', async () => {
    await barrier.transaction([
      { op: 'put', key: 'p/a', value: buf('1') },
      { op: 'put', key: 'p/b/c', value: buf('2') },
    ]);
    expect((await barrier.scan('p/')).map((e) => [e.key, e.value.toString()])).to.deep.equal([
      ['p/a', '1'],
      ['p/b/c', '2'],
    ]);
    expect(await barrier.list('p/')).to.deep.equal(['a', 'b/']);
  });

  for (const [where, offsetOf] of [
    ['the ciphertext body', (_len: number) => 20],
    ['the authentication tag', (len: number) => len - 1],
    ['the nonce', (_len: number) => 6],
  ] as const) {
    it(`fails with an error, not garbage, when a byte of ${where} is flipped in the file`, async () => {
      await barrier.put('secret/flip', buf('a value long enough to have a body'));
      const raw = await storedValue(dbPath, 'secret/flip');
      const offset = offsetOf(raw.length);
      raw[offset] = (raw[offset] as number) ^ 0x01;
      await overwriteStored(dbPath, 'secret/flip', raw);
      const err = await rejectionOf(() => barrier.get('secret/flip'));
      expect(err).to.be.instanceOf(VaultError);
      expect((err as VaultError).code).to.equal('internal');
      expect((err as VaultError).message).to.match(/failed to decrypt storage entry "secret\/flip"/);
      expect((err as VaultError).message).to.not.include('a value long');
    });
  }

  it('fails with an error when the term in the header is altered', async () => {
    await barrier.put('secret/term', buf('v'));
    const raw = await storedValue(dbPath, 'secret/term');
    raw.writeUInt32BE(77, 1);
    await overwriteStored(dbPath, 'secret/term', raw);
    const err = await rejectionOf(() => barrier.get('secret/term'));
    expect((err as VaultError).code).to.equal('internal');
    expect((err as VaultError).message).to.match(/unknown key term 77/);
  });

  it('fails with an error when a stored entry is truncated or is not a barrier ciphertext', async () => {
    await barrier.put('secret/short', buf('v'));
    await overwriteStored(dbPath, 'secret/short', Buffer.from([1, 0, 0]));
    expect(((await rejectionOf(() => barrier.get('secret/short'))) as VaultError).code).to.equal('internal');
    await overwriteStored(dbPath, 'secret/short', buf('{"plaintext":"json written by an attacker"}'));
    expect(((await rejectionOf(() => barrier.get('secret/short'))) as VaultError).code).to.equal('internal');
  });

  it('refuses a ciphertext copied under another key in the SQLite file (the path is the AAD)', async () => {
    await barrier.put('secret/a', buf('value of a'));
    await barrier.put('secret/b', buf('value of b'));
    await querySqliteFile(dbPath, "UPDATE entries SET value = (SELECT value FROM entries WHERE key = 'secret/a') WHERE key = 'secret/b'");
    expect(Buffer.compare(await storedValue(dbPath, 'secret/a'), await storedValue(dbPath, 'secret/b'))).to.equal(0);
    const err = await rejectionOf(() => barrier.get('secret/b'));
    expect(err).to.be.instanceOf(VaultError);
    expect((err as VaultError).message).to.match(/failed to decrypt storage entry "secret\/b"/);
    expect((err as VaultError).message).to.not.include('value of a');
    expect((await barrier.get('secret/a'))?.toString()).to.equal('value of a');
  });

  it('refuses a ciphertext inserted under a brand-new key in the file', async () => {
    await barrier.put('secret/a', buf('value of a'));
    await querySqliteFile(dbPath, "INSERT INTO entries (key, value) SELECT 'secret/forged', value FROM entries WHERE key = 'secret/a'");
    expect(((await rejectionOf(() => barrier.get('secret/forged'))) as VaultError).code).to.equal('internal');
    expect(((await rejectionOf(() => barrier.scan('secret/'))) as VaultError).code).to.equal('internal');
  });

  it('keeps old entries readable after keyring rotation, and writes new ones under the new term', async () => {
    await barrier.put('old', buf('before rotation'));
    expect(barrier.activeTerm).to.equal(1);
    const term = await barrier.rotate(rootKey);
    expect(term).to.equal(2);
    expect(barrier.activeTerm).to.equal(2);
    await barrier.put('new', buf('after rotation'));
    expect(termOf(await storedValue(dbPath, 'old'))).to.equal(1);
    expect(termOf(await storedValue(dbPath, 'new'))).to.equal(2);
    expect((await barrier.get('old'))?.toString()).to.equal('before rotation');
    expect((await barrier.get('new'))?.toString()).to.equal('after rotation');
    expect(barrier.termInstallTime(2)).to.be.a('string');

    // A fresh process: the rotated keyring persists, both terms decrypt after unseal.
    await physical.close();
    physical = await SqliteBackend.open({ path: dbPath });
    const reopened = new Barrier(physical);
    expect(await reopened.isInitialized()).to.equal(true);
    expect(reopened.isSealed).to.equal(true);
    await reopened.unseal(rootKey);
    expect(reopened.activeTerm).to.equal(2);
    expect((await reopened.get('old'))?.toString()).to.equal('before rotation');
    expect((await reopened.get('new'))?.toString()).to.equal('after rotation');
  });

  it('stores the keyring encrypted under the root key, and refuses writes to its path', async () => {
    const raw = await storedValue(dbPath, KEYRING_PATH);
    expect(termOf(raw)).to.equal(0);
    expect(raw.includes(buf('active_term'))).to.equal(false);
    const err = await rejectionOf(() => barrier.put(KEYRING_PATH, buf('{}')));
    expect((err as VaultError).code).to.equal('invalid_request');
  });

  it('refuses to unseal with a wrong root key and stays sealed', async () => {
    await barrier.put('k', buf('v'));
    barrier.seal();
    expect(barrier.isSealed).to.equal(true);
    const err = await rejectionOf(() => barrier.unseal(randomBytes(32)));
    expect(err).to.be.instanceOf(VaultError);
    expect((err as VaultError).message).to.match(/unseal key is not valid/);
    expect(barrier.isSealed).to.equal(true);
    await barrier.unseal(rootKey);
    expect((await barrier.get('k'))?.toString()).to.equal('v');
  });

  it('refuses every read and write while sealed', async () => {
    await barrier.put('k', buf('v'));
    barrier.seal();
    const attempts = [() => barrier.get('k'), () => barrier.put('k', buf('x')), () => barrier.list(''), () => barrier.scan(''), () => barrier.delete('k')];
    for (const attempt of attempts) {
      const err = await rejectionOf(attempt);
      expect((err as VaultError).code).to.equal('sealed');
    }
    await barrier.unseal(rootKey);
    expect((await barrier.get('k'))?.toString()).to.equal('v');
  });

  it('answers whether a key holds an entry without decrypting it, through views too, and never for the root key', async () => {
    await barrier.put('secret/here', buf('v'));
    expect(await barrier.has('secret/here')).to.equal(true);
    expect(await barrier.has('secret/absent')).to.equal(false);
    expect(await barrier.has('core/root-key')).to.equal(false);
    const view = new StorageView(new StorageView(barrier, 'secret/'), '');
    expect(await view.has('here')).to.equal(true);
    expect(await hasEntry(view, 'absent')).to.equal(false);
    // Presence only: an entry whose ciphertext fails authentication is there (a read of it still fails).
    const raw = await storedValue(dbPath, 'secret/here');
    raw[raw.length - 1] = (raw[raw.length - 1] as number) ^ 0x01;
    await overwriteStored(dbPath, 'secret/here', raw);
    expect(await barrier.has('secret/here')).to.equal(true);
    expect(((await rejectionOf(() => barrier.get('secret/here'))) as VaultError).code).to.equal('internal');
    await barrier.delete('secret/here');
    expect(await view.has('here')).to.equal(false);
    barrier.seal();
    expect(((await rejectionOf(() => barrier.has('secret/here'))) as VaultError).code).to.equal('sealed');
  });

  it('falls back to a read for a storage without its own presence check', async () => {
    const plain = new MemoryBackend();
    await plain.put('k', buf('v'));
    expect(await hasEntry(plain, 'k')).to.equal(true);
    expect(await hasEntry(plain, 'other')).to.equal(false);
    expect(await new StorageView(plain, '').has('k')).to.equal(true);
  });

  it('scopes a StorageView to its prefix, encrypted under the full path', async () => {
    const view = new StorageView(barrier, 'logical/abc/');
    await view.putJson('cfg', { a: 1 });
    await view.transaction([{ op: 'put', key: 'x/y', value: buf('z') }]);
    expect(await view.getJson('cfg')).to.deep.equal({ a: 1 });
    expect(await view.list('')).to.deep.equal(['cfg', 'x/']);
    expect((await view.scan('x/')).map((e) => e.key)).to.deep.equal(['x/y']);
    expect((await barrier.get('logical/abc/x/y'))?.toString()).to.equal('z');
    await view.transaction([{ op: 'delete-prefix', prefix: 'x/' }]);
    expect(await barrier.list('logical/abc/')).to.deep.equal(['cfg']);
  });
});
