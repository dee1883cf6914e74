import { expect } from 'chai';
import { decrypt, generateKey, readMessage, readPrivateKey } from 'openpgp';
import { pino } from 'pino';
import { systemBackend } from '../../../server/backends/sys/system-backend.js';
import { Core } from '../../../server/core/core.js';
import { startInProcessCore, type InProcessCore } from '../../helpers/in-process-core.js';

/** A throwaway OpenPGP key pair: the public key base64 of its binary form (Vault's `pgp_keys` form). */
async function pgpKeyPair(name: string): Promise<{ publicKeyBase64: string; decryptShare: (encryptedBase64: string) => Promise<string> }> {
  const { publicKey, privateKey } = await generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name }], format: 'binary' });
  const key = await readPrivateKey({ binaryKey: privateKey });
  return {
    publicKeyBase64: Buffer.from(publicKey).toString('base64'),
    decryptShare: async (encryptedBase64) => {
      const message = await readMessage({ binaryMessage: new Uint8Array(Buffer.from(encryptedBase64, 'base64')) });
      const { data } = await decrypt({ message, decryptionKeys: key, format: 'binary' });
      return Buffer.from(data as Uint8Array).toString('utf8');
    },
  };
}

/** The flat JSON body of a raw sys/ answer. */
const flat = (res: { raw?: { body: string } } | undefined): Record<string, any> => JSON.parse(res?.raw?.body ?? 'null') as Record<string, any>;

describe('rekey (sys/rekey/*)', function () {
  this.timeout(30_000);
  let env: InProcessCore;
  let currentKeys: string[];

  beforeEach(async () => {
    env = await startInProcessCore();
    // The in-process core starts with one share: its key is the root key itself.
    currentKeys = [env.core.seal.currentRootKey().toString('base64')];
  });

  const sys = (operation: 'read' | 'update' | 'delete', path: string, data: Record<string, unknown> = {}) =>
    env.call(operation, `sys/${path}`, { token: '', data });

  async function rekeyTo(shares: number, threshold: number, extra: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const started = flat(await sys('update', 'rekey/init', { secret_shares: shares, secret_threshold: threshold, ...extra }));
    let last: Record<string, any> = started;
    for (const key of currentKeys) {
      last = flat(await sys('update', 'rekey/update', { key, nonce: started.nonce }));
      if (last.complete === true) break;
    }
    return last;
  }

  async function sealAndUnsealWith(keys: string[]): Promise<void> {
    await env.core.sealCore();
    for (const key of keys) await env.call('update', 'sys/unseal', { token: '', data: { key } });
    expect(env.core.isSealed).to.equal(false);
  }

  it('reports no attempt, then a started one with its nonce and shape', async () => {
    expect(flat(await sys('read', 'rekey/init'))).to.include({ started: false, nonce: '', t: 0, n: 0, progress: 0, required: 1 });
    const started = flat(await sys('update', 'rekey/init', { secret_shares: 3, secret_threshold: 2 }));
    expect(started).to.include({ started: true, t: 2, n: 3, progress: 0, required: 1, backup: false, verification_required: false });
    expect(started.nonce).to.match(/^[0-9a-f-]{36}$/);
    await env.fails('update', 'sys/rekey/init', 'invalid_request', { token: '', data: { secret_shares: 3, secret_threshold: 2 } });
    await sys('delete', 'rekey/init', { nonce: started.nonce });
    expect(flat(await sys('read', 'rekey/init'))).to.include({ started: false });
  });

  it('replaces the unseal keys: the new shares unseal, the old key no longer does', async () => {
    const done = await rekeyTo(3, 2);
    expect(done).to.include({ complete: true });
    expect(done.keys).to.have.length(3);
    expect(done.keys_base64).to.have.length(3);
    const status = flat(await env.call('read', 'sys/seal-status', { token: '' }));
    expect(status).to.include({ t: 2, n: 3 });
    const oldKey = currentKeys[0] as string;
    await env.core.sealCore();
    // The old single key now counts as one of two shares, and does not combine with a new one.
    expect(flat(await env.call('update', 'sys/unseal', { token: '', data: { key: oldKey } }))).to.include({ sealed: true, progress: 1 });
    await env.fails('update', 'sys/unseal', 'invalid_request', { token: '', data: { key: done.keys[0] } });
    expect(env.core.isSealed).to.equal(true);
    await sealAndUnsealWith([done.keys_base64[2], done.keys[0]]);
    // The data written before the rekey is still readable: only the root key changed.
    expect((await env.call('read', 'sys/policies/acl/default'))?.data).to.have.property('policy');
  });

  it('refuses bad requests with a 400 and changes nothing', async () => {
    await env.fails('update', 'sys/rekey/init', 'invalid_request', { token: '', data: { secret_shares: 2, secret_threshold: 3 } });
    await env.fails('update', 'sys/rekey/init', 'invalid_request', { token: '', data: { secret_shares: 2, secret_threshold: 2, backup: true } });
    await env.fails('update', 'sys/rekey/init', 'invalid_request', { token: '', data: { secret_shares: 2, secret_threshold: 2, pgp_keys: ['bm90IGEga2V5'] } });
    await env.fails('update', 'sys/rekey/init', 'invalid_request', {
      token: '',
      data: { secret_shares: 2, secret_threshold: 2, pgp_keys: ['bm90IGEga2V5', 'eA=='] },
    });
    expect(flat(await sys('read', 'rekey/init'))).to.include({ started: false });
    const started = flat(await sys('update', 'rekey/init', { secret_shares: 3, secret_threshold: 2 }));
    const wrongNonce = await env.fails('update', 'sys/rekey/update', 'invalid_request', { token: '', data: { key: currentKeys[0], nonce: 'nope' } });
    expect(wrongNonce.message).to.match(/^incorrect nonce/);
    // A key that is not this cluster's resets progress and keeps the old keys.
    const wrong = Buffer.alloc(32, 7).toString('base64');
    await env.fails('update', 'sys/rekey/update', 'invalid_request', { token: '', data: { key: wrong, nonce: started.nonce } });
    expect(flat(await env.call('read', 'sys/seal-status', { token: '' }))).to.include({ t: 1, n: 1 });
  });

  it('encrypts the new shares to PGP keys and keeps a backup readable at sys/rekey/backup', async () => {
    const pairs = await Promise.all(['a', 'b', 'c'].map((n) => pgpKeyPair(n)));
    const done = await rekeyTo(3, 2, { pgp_keys: pairs.map((p) => p.publicKeyBase64), backup: true });
    expect(done).to.include({ complete: true, backup: true });
    expect(done.pgp_fingerprints).to.have.length(3);
    const shares = await Promise.all(pairs.map((p, i) => p.decryptShare(done.keys_base64[i])));
    for (const share of shares) expect(share).to.match(/^[0-9a-f]{66}$/);
    const backup = (await env.call('read', 'sys/rekey/backup'))?.data as Record<string, any>;
    expect(backup.nonce).to.equal(done.nonce);
    expect(Object.keys(backup.keys).sort()).to.deep.equal([...done.pgp_fingerprints].sort());
    expect(backup.keys[done.pgp_fingerprints[1]]).to.deep.equal([done.keys[1]]);
    await sealAndUnsealWith([shares[0] as string, shares[2] as string]);
    await env.call('delete', 'sys/rekey/backup');
    await env.fails('read', 'sys/rekey/backup', 'not_found');
  });

  it('needs sudo for the backup', async () => {
    const token = (await env.call('update', 'auth/token/create', { data: { policies: ['default'] } }))?.auth?.clientToken as string;
    await env.fails('read', 'sys/rekey/backup', 'permission_denied', { token });
  });

  it('with require_verification switches only after a threshold of the new keys is given back', async () => {
    const done = await rekeyTo(3, 2, { require_verification: true });
    expect(done).to.include({ complete: true, verification_required: true });
    expect(flat(await sys('read', 'rekey/verify'))).to.include({ started: true, t: 2, n: 3, progress: 0, nonce: done.verification_nonce });
    // Not switched yet: the old key still unseals.
    expect(flat(await env.call('read', 'sys/seal-status', { token: '' }))).to.include({ n: 1 });
    const wrongNonce = await env.fails('update', 'sys/rekey/verify', 'invalid_request', { token: '', data: { key: done.keys[0], nonce: 'x' } });
    expect(wrongNonce.message).to.equal('incorrect nonce');
    const restarted = flat(await sys('delete', 'rekey/verify'));
    expect(restarted.nonce).to.not.equal(done.verification_nonce);
    const first = flat(await sys('update', 'rekey/verify', { key: done.keys[0], nonce: restarted.nonce }));
    expect(first).to.include({ progress: 1 });
    const second = flat(await sys('update', 'rekey/verify', { key: done.keys[1], nonce: restarted.nonce }));
    expect(second).to.deep.equal({ nonce: restarted.nonce, complete: true });
    await sealAndUnsealWith([done.keys[1], done.keys[2]]);
  });

  it('cancelling during verification keeps the old keys', async () => {
    const done = await rekeyTo(3, 2, { require_verification: true });
    await sys('delete', 'rekey/init', { nonce: done.nonce });
    await sealAndUnsealWith(currentKeys);
  });

  it('cancels a young rekey only with its nonce, or for a caller with sudo (hvac sends none)', async () => {
    const started = flat(await sys('update', 'rekey/init', { secret_shares: 3, secret_threshold: 2 }));
    const missing = await env.fails('delete', 'sys/rekey/init', 'invalid_request', { token: '' });
    expect(missing.message).to.equal("'nonce' must be specified to cancel a rekey started less than 10 minutes ago");
    await env.fails('delete', 'sys/rekey/init', 'invalid_request', { token: '', data: { nonce: 'not-the-nonce' } });
    // A token without sudo on sys/rekey/init is no operator.
    const plain = (await env.call('update', 'auth/token/create', { data: { policies: 'default' } }))?.auth?.clientToken as string;
    await env.fails('delete', 'sys/rekey/init', 'invalid_request', { token: plain });
    expect(flat(await sys('read', 'rekey/init'))).to.include({ started: true, nonce: started.nonce });
    await sys('delete', 'rekey/init', { nonce: started.nonce });
    expect(flat(await sys('read', 'rekey/init'))).to.include({ started: false });
    // The root token (as hvac's cancel_rekey sends it) cancels without the nonce.
    flat(await sys('update', 'rekey/init', { secret_shares: 3, secret_threshold: 2 }));
    await env.call('delete', 'sys/rekey/init');
    expect(flat(await sys('read', 'rekey/init'))).to.include({ started: false });
    // Cancelling when nothing is in progress is a no-op, as in Vault.
    await sys('delete', 'rekey/init');
  });

  it('lets a node that shares the keyring (a secondary) follow the rekey through the stored root key', async () => {
    const follower = new Core({ ...env.core.options, logger: pino({ level: 'silent' }) });
    follower.registerBuiltin('sys/', systemBackend);
    await follower.seal.unsealWithRootKey(env.core.seal.currentRootKey());
    await follower.postUnseal();
    const done = await rekeyTo(3, 2);
    expect(done.complete).to.equal(true);
    await follower.onReplicatedChange(['core/keyring', 'core/root-key']);
    expect(follower.seal.currentRootKey().equals(env.core.seal.currentRootKey())).to.equal(true);
    // A later rotation of the data keys is followed with the new root key.
    await env.call('update', 'sys/rotate');
    await follower.onReplicatedChange(['core/keyring']);
    expect(follower.barrier.activeTerm).to.equal(2);
    // Nothing above the barrier reads the stored root key.
    expect(await follower.barrier.get('core/root-key')).to.equal(undefined);
    await follower.sealCore();
  });

  it('is refused on a replication secondary (the primary holds the cluster keys)', async () => {
    env.core.attachReplication({ mode: () => 'secondary' }, () => []);
    const err = await env.fails('update', 'sys/rekey/init', 'invalid_request', { token: '', data: { secret_shares: 1, secret_threshold: 1 } });
    expect(err.message).to.match(/not allowed on a replication secondary/);
  });
});
