import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { backupOf, restoreFromBackup } from '../../../../server/backends/transit/transit-backup.js';
import { createTransitKey, rotateTransitKey, type TransitKey } from '../../../../server/backends/transit/transit-key.js';
import { VaultError } from '../../../../server/core/vault-error.js';

const options = { derived: false, convergentEncryption: false, exportable: true, allowPlaintextBackup: true, autoRotatePeriodSeconds: 0, keySize: 0 };
const blob = (policy: unknown) => Buffer.from(JSON.stringify({ format: 'ferry-transit-backup-v1', policy })).toString('base64');
const refuses = (text: string, name?: string) => {
  try {
    restoreFromBackup(text, name);
  } catch (err) {
    expect(err).to.be.instanceOf(VaultError);
    expect((err as VaultError).code).to.equal('invalid_request');
    return;
  }
  expect.fail('restore accepted a bad backup');
};

describe('transit-backup', () => {
  it('round-trips every key type with all versions, renamed when asked', async () => {
    for (const type of ['aes128-gcm96', 'chacha20-poly1305', 'ed25519', 'ecdsa-p521', 'rsa-2048', 'hmac'] as const) {
      const key = await rotateTransitKey(await createTransitKey('k', { ...options, type }));
      const restored = restoreFromBackup(backupOf(key), 'copy');
      expect(restored).to.deep.equal({ ...key, name: 'copy' });
    }
  });

  it('needs both exportable and allow_plaintext_backup', async () => {
    const key = await createTransitKey('k', { ...options, type: 'aes256-gcm96', allowPlaintextBackup: false });
    expect(() => backupOf(key)).to.throw('plaintext backup is disallowed on the policy');
    expect(() => backupOf({ ...key, exportable: false })).to.throw('exporting is disallowed on the policy');
  });

  it('refuses blobs whose key material would fail inside the server later', async () => {
    const aes = await createTransitKey('k', { ...options, type: 'aes256-gcm96' });
    const v1 = aes.versions['1'] as TransitKey['versions'][string];
    refuses('not base64 json');
    refuses(blob({ ...aes, type: 'aes512' }));
    refuses(blob({ ...aes, versions: { '1': { ...v1, key: Buffer.alloc(16).toString('base64') } } }));
    refuses(blob({ ...aes, latest_version: 2 }));
    refuses(blob({ ...aes, versions: {} }));
    refuses(blob(aes), '../escape');
    const ec = await createTransitKey('e', { ...options, type: 'ecdsa-p256' });
    const rsaPem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    refuses(blob({ ...ec, versions: { '1': { ...ec.versions['1'], private_pem: rsaPem } } }));
    refuses(blob({ ...ec, type: 'ecdsa-p384' }));
    const ed = await createTransitKey('d', { ...options, type: 'ed25519' });
    refuses(blob({ ...ed, versions: { '1': { ...ed.versions['1'], public_key: Buffer.alloc(32).toString('base64') } } }));
  });
});
