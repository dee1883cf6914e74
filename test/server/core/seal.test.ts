import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Barrier } from '../../../server/core/barrier.js';
import { decodeUnsealKey, Seal, splitRootKey, validateSealConfig } from '../../../server/core/seal.js';
import { VaultError } from '../../../server/core/vault-error.js';
import { SqliteBackend } from '../../../server/storage/sqlite-backend.js';

/** Runs an async call that must fail, and returns the VaultError. */
async function failureOf(call: () => Promise<unknown> | unknown): Promise<VaultError> {
  try {
    await call();
  } catch (err) {
    expect(err).to.be.instanceOf(VaultError);
    return err as VaultError;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

describe('Seal (Shamir, over a SQLite file)', () => {
  let dir: string;
  let dbPath: string;
  let physical: SqliteBackend;
  let barrier: Barrier;
  let seal: Seal;

  /** A fresh "process": reopen the file, new barrier and seal, sealed. */
  async function reopen(): Promise<void> {
    await physical.close();
    physical = await SqliteBackend.open({ path: dbPath });
    barrier = new Barrier(physical);
    seal = new Seal(physical, barrier);
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-seal-test-'));
    dbPath = join(dir, 'ferry.db');
    physical = await SqliteBackend.open({ path: dbPath });
    barrier = new Barrier(physical);
    seal = new Seal(physical, barrier);
  });

  afterEach(async () => {
    await physical.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('with 5 shares and a threshold of 3', () => {
    let shares: Buffer[];

    beforeEach(async () => {
      shares = await seal.initialize(5, 3);
      await barrier.put('secret/probe', Buffer.from('still here'));
      await reopen();
    });

    it('returns 5 distinct shares and stores the seal config in plaintext', async () => {
      expect(shares).to.have.length(5);
      expect(new Set(shares.map((s) => s.toString('hex'))).size).to.equal(5);
      expect(await seal.config()).to.deep.equal({ type: 'shamir', secret_shares: 5, secret_threshold: 3 });
    });

    it('starts sealed in a new process and unseals at the third share, reporting progress and a nonce', async () => {
      expect(seal.isSealed).to.equal(true);
      const first = await seal.submitShare(shares[0] as Buffer);
      expect(first).to.include({ sealed: true, progress: 1 });
      expect(first.nonce).to.be.a('string').and.not.equal('');
      const second = await seal.submitShare(shares[3] as Buffer);
      expect(second).to.deep.equal({ sealed: true, progress: 2, nonce: first.nonce });
      const third = await seal.submitShare(shares[4] as Buffer);
      expect(third).to.include({ sealed: false, progress: 0 });
      expect(barrier.isSealed).to.equal(false);
      expect((await barrier.get('secret/probe'))?.toString()).to.equal('still here');
    });

    for (const combo of [
      [0, 1, 2],
      [2, 3, 4],
      [4, 0, 2],
    ]) {
      it(`unseals with shares ${combo.join(', ')}`, async () => {
        for (const i of combo) await seal.submitShare(shares[i] as Buffer);
        expect(seal.isSealed).to.equal(false);
      });
    }

    it('refuses a wrong share at the threshold, stays sealed and resets progress', async () => {
      await seal.submitShare(shares[0] as Buffer);
      await seal.submitShare(shares[1] as Buffer);
      const wrong = Buffer.from(shares[2] as Buffer);
      wrong[5] = (wrong[5] as number) ^ 0xff;
      const err = await failureOf(() => seal.submitShare(wrong));
      expect(err.code).to.equal('invalid_request');
      expect(err.message).to.not.include(wrong.toString('base64'));
      expect(err.message).to.not.include(wrong.toString('hex'));
      expect(seal.isSealed).to.equal(true);
      expect(barrier.isSealed).to.equal(true);
      expect(seal.progress).to.deep.equal({ sealed: true, progress: 0, nonce: '' });
      // A fresh round with good shares works.
      for (const i of [2, 3, 4]) await seal.submitShare(shares[i] as Buffer);
      expect(seal.isSealed).to.equal(false);
    });

    it('refuses shares of another cluster, stays sealed', async () => {
      const foreign = await splitRootKey(randomBytes(32), 5, 3);
      for (const s of foreign.slice(0, 2)) await seal.submitShare(s);
      await failureOf(() => seal.submitShare(foreign[2] as Buffer));
      expect(seal.isSealed).to.equal(true);
      expect(seal.progress.progress).to.equal(0);
    });

    it('refuses random bytes as a share', async () => {
      await seal.submitShare(randomBytes(33));
      await seal.submitShare(randomBytes(33));
      await failureOf(() => seal.submitShare(randomBytes(33)));
      expect(seal.isSealed).to.equal(true);
    });

    it('refuses the same share twice in one round without losing progress', async () => {
      await seal.submitShare(shares[0] as Buffer);
      const err = await failureOf(() => seal.submitShare(shares[0] as Buffer));
      expect(err.code).to.equal('invalid_request');
      expect(seal.progress.progress).to.equal(1);
    });

    it('starts over after resetProgress', async () => {
      await seal.submitShare(shares[0] as Buffer);
      await seal.submitShare(shares[1] as Buffer);
      seal.resetProgress();
      expect(seal.progress).to.deep.equal({ sealed: true, progress: 0, nonce: '' });
      await seal.submitShare(shares[2] as Buffer);
      expect(seal.isSealed).to.equal(true);
    });

    it('refuses a second init', async () => {
      const err = await failureOf(() => seal.initialize(5, 3));
      expect(err.message).to.match(/already initialized/);
      expect(await seal.config()).to.deep.equal({ type: 'shamir', secret_shares: 5, secret_threshold: 3 });
    });

    it('seals again: drops the root key and the keyring', async () => {
      for (const i of [0, 1, 2]) await seal.submitShare(shares[i] as Buffer);
      expect(seal.currentRootKey()).to.have.length(32);
      seal.seal();
      expect(seal.isSealed).to.equal(true);
      expect(barrier.isSealed).to.equal(true);
      expect((await failureOf(() => seal.currentRootKey())).code).to.equal('sealed');
    });

    it('verifies shares against the current root key', async () => {
      for (const i of [0, 1, 2]) await seal.submitShare(shares[i] as Buffer);
      expect(await seal.verifyShares(shares.slice(1, 4))).to.equal(true);
      expect(await seal.verifyShares((await splitRootKey(randomBytes(32), 3, 2)).slice(0, 2))).to.equal(false);
    });
  });

  it('uses the root key itself as the single share of a 1/1 seal', async () => {
    const [only] = await seal.initialize(1, 1);
    const rootKey = seal.currentRootKey();
    expect(Buffer.compare(only as Buffer, rootKey)).to.equal(0);
    await reopen();
    expect(await seal.submitShare(only as Buffer)).to.include({ sealed: false });
  });

  it('refuses to unseal before init', async () => {
    const err = await failureOf(() => seal.submitShare(randomBytes(33)));
    expect(err.message).to.match(/not initialized/);
  });

  it('checks share counts as Vault does', () => {
    for (const [shares, threshold] of [
      [0, 0],
      [3, 0],
      [3, 4],
      [3, 1],
      [256, 3],
      [2.5, 2],
    ] as const) {
      expect(() => validateSealConfig(shares, threshold), `${shares}/${threshold}`).to.throw(VaultError);
    }
    for (const [shares, threshold] of [
      [1, 1],
      [5, 3],
      [255, 255],
    ] as const) {
      expect(() => validateSealConfig(shares, threshold)).to.not.throw();
    }
  });

  it('decodes unseal keys in hex and base64, and refuses other text without echoing it', () => {
    const key = randomBytes(33);
    expect(Buffer.compare(decodeUnsealKey(key.toString('hex')), key)).to.equal(0);
    expect(Buffer.compare(decodeUnsealKey(key.toString('base64')), key)).to.equal(0);
    const bad = 'not a key! s3cr3t-material';
    expect(() => decodeUnsealKey(bad))
      .to.throw(VaultError)
      .with.property('message')
      .that.does.not.include('s3cr3t');
  });
});
