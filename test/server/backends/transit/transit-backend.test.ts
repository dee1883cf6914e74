import { expect } from 'chai';
import { startInProcessCore, tokenWithPolicies, writePolicy, type InProcessCore } from '../../../helpers/in-process-core.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: unknown) => Buffer.from(s as string, 'base64').toString('utf8');

describe('transit backend', function () {
  this.timeout(60_000);
  let env: InProcessCore;
  beforeEach(async () => {
    env = await startInProcessCore();
    await env.call('update', 'sys/mounts/transit', { data: { type: 'transit' } });
  });

  const data = async (op: 'read' | 'update' | 'list', path: string, body?: Record<string, unknown>) =>
    (await env.call(op, `transit/${path}`, body === undefined ? {} : { data: body }))?.data as Record<string, any>;

  for (const type of ['aes128-gcm96', 'aes256-gcm96', 'chacha20-poly1305', 'rsa-2048']) {
    it(`encrypts and decrypts with a ${type} key, in Vault's vault:v1: format`, async () => {
      await data('update', 'keys/k', { type });
      const { ciphertext, key_version } = await data('update', 'encrypt/k', { plaintext: b64('hello transit') });
      expect(ciphertext).to.match(/^vault:v1:[A-Za-z0-9+/]+=*$/);
      expect(key_version).to.equal(1);
      expect(unb64((await data('update', 'decrypt/k', { ciphertext })).plaintext)).to.equal('hello transit');
    });
  }

  for (const type of ['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa-2048']) {
    it(`signs and verifies with a ${type} key and rejects a changed input`, async () => {
      await data('update', 'keys/s', { type });
      const read = await data('read', 'keys/s');
      expect(read.supports_signing).to.equal(true);
      expect(read.keys['1'].public_key).to.be.a('string').and.not.equal('');
      const { signature } = await data('update', 'sign/s', { input: b64('message') });
      expect(signature).to.match(/^vault:v1:/);
      expect((await data('update', 'verify/s', { input: b64('message'), signature })).valid).to.equal(true);
      expect((await data('update', 'verify/s', { input: b64('messagf'), signature })).valid).to.equal(false);
    });
  }

  it('creates a key on first encrypt when the caller may create (upsert), and is denied without create', async () => {
    const { ciphertext } = await data('update', 'encrypt/auto', { plaintext: b64('x') });
    expect((await data('read', 'keys/auto')).type).to.equal('aes256-gcm96');
    expect(unb64((await data('update', 'decrypt/auto', { ciphertext })).plaintext)).to.equal('x');
    await writePolicy(env, 'enc-only', 'path "transit/encrypt/*" { capabilities = ["update"] }');
    const token = await tokenWithPolicies(env, ['enc-only']);
    await env.fails('update', 'transit/encrypt/other', 'permission_denied', { token, data: { plaintext: b64('x') } });
    await env.fails('read', 'transit/keys/other', 'not_found');
    expect((await env.call('update', 'transit/encrypt/auto', { token, data: { plaintext: b64('y') } }))?.data?.ciphertext).to.match(/^vault:v1:/);
  });

  it('rotates: new ciphertexts use the latest version, old ones still decrypt until min_decryption_version', async () => {
    await data('update', 'keys/r', {});
    const v1 = (await data('update', 'encrypt/r', { plaintext: b64('one') })).ciphertext as string;
    const rotated = await data('update', 'keys/r/rotate');
    expect(rotated.latest_version).to.equal(2);
    const v2 = (await data('update', 'encrypt/r', { plaintext: b64('two') })).ciphertext as string;
    expect(v2).to.match(/^vault:v2:/);
    expect(unb64((await data('update', 'decrypt/r', { ciphertext: v1 })).plaintext)).to.equal('one');
    const rewrapped = (await data('update', 'rewrap/r', { ciphertext: v1 })).ciphertext as string;
    expect(rewrapped).to.match(/^vault:v2:/);
    await data('update', 'keys/r/config', { min_decryption_version: 2 });
    const err = await env.fails('update', 'transit/decrypt/r', 'invalid_request', { data: { ciphertext: v1 } });
    expect(err.message).to.equal('ciphertext or signature version is disallowed by policy (too old)');
    expect(unb64((await data('update', 'decrypt/r', { ciphertext: rewrapped })).plaintext)).to.equal('one');
    // Encrypting with an explicit older version is refused once min_encryption_version is above it.
    await data('update', 'keys/r/config', { min_encryption_version: 2 });
    await env.fails('update', 'transit/encrypt/r', 'invalid_request', { data: { plaintext: b64('x'), key_version: 1 } });
  });

  it('trims versions below min_available_version within the min encryption/decryption bounds', async () => {
    await data('update', 'keys/t', {});
    for (let i = 0; i < 3; i++) await data('update', 'keys/t/rotate');
    await env.fails('update', 'transit/keys/t/trim', 'invalid_request', { data: { min_available_version: 2 } });
    await data('update', 'keys/t/config', { min_decryption_version: 3, min_encryption_version: 4 });
    await env.fails('update', 'transit/keys/t/trim', 'invalid_request', { data: { min_available_version: 4 } });
    const trimmed = await data('update', 'keys/t/trim', { min_available_version: 3 });
    expect(Object.keys(trimmed.keys)).to.deep.equal(['3', '4']);
    expect(trimmed.min_available_version).to.equal(3);
    await env.fails('update', 'transit/keys/t/config', 'invalid_request', { data: { min_decryption_version: 2 } });
  });

  it('derived keys need a context; convergent encryption gives equal ciphertexts per context', async () => {
    await data('update', 'keys/d', { derived: true, convergent_encryption: true });
    const err = await env.fails('update', 'transit/encrypt/d', 'invalid_request', { data: { plaintext: b64('p') } });
    expect(err.message).to.include("missing 'context' for key derivation");
    const enc = async (context: string, p = 'p') => (await data('update', 'encrypt/d', { plaintext: b64(p), context: b64(context) })).ciphertext as string;
    expect(await enc('c1')).to.equal(await enc('c1'));
    expect(await enc('c1')).not.to.equal(await enc('c2'));
    expect(await enc('c1', 'q')).not.to.equal(await enc('c1'));
    const ct = await enc('c1');
    expect(unb64((await data('update', 'decrypt/d', { ciphertext: ct, context: b64('c1') })).plaintext)).to.equal('p');
    await env.fails('update', 'transit/decrypt/d', 'invalid_request', { data: { ciphertext: ct, context: b64('c2') } });
    await env.fails('update', 'transit/keys/x', 'invalid_request', { data: { convergent_encryption: true } });
  });

  it('answers batch input in order with per-item errors and a 400 unless partial_failure_response_code', async () => {
    await data('update', 'keys/b', {});
    const enc = await data('update', 'encrypt/b', { batch_input: [{ plaintext: b64('a') }, { plaintext: b64('b'), reference: 'r2' }] });
    expect(enc.batch_results).to.have.length(2);
    expect(enc.batch_results[1].reference).to.equal('r2');
    const dec = await env.call('update', 'transit/decrypt/b', {
      data: { batch_input: [{ ciphertext: enc.batch_results[0].ciphertext }, { ciphertext: 'vault:v1:!!' }, { ciphertext: enc.batch_results[1].ciphertext }] },
    });
    expect(dec?.httpStatus).to.equal(400);
    const results = dec?.data?.batch_results as Record<string, string>[];
    expect(unb64(results[0]?.plaintext)).to.equal('a');
    expect(results[1]?.error).to.equal('invalid ciphertext: could not decode base64');
    expect(unb64(results[2]?.plaintext)).to.equal('b');
    const partial = await env.call('update', 'transit/decrypt/b', {
      data: { partial_failure_response_code: 207, batch_input: [{ ciphertext: enc.batch_results[0].ciphertext }, { ciphertext: 'nope' }] },
    });
    expect(partial?.httpStatus).to.equal(207);
  });

  it("refuses malformed ciphertexts with Vault's messages and never echoes them", async () => {
    await data('update', 'keys/m', {});
    const cases: [string, string][] = [
      ['secret-looking-value', 'invalid ciphertext: no prefix'],
      ['vault:v1', 'invalid ciphertext: wrong number of fields'],
      ['vault:vX:AAAA', 'invalid ciphertext: version number could not be decoded'],
      ['vault:v9:AAAA', 'invalid ciphertext: version is too new'],
      ['vault:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'cipher: message authentication failed'],
      ['vault:v1:AAAA', 'invalid ciphertext: too short'],
    ];
    for (const [ciphertext, message] of cases) {
      const err = await env.fails('update', 'transit/decrypt/m', 'invalid_request', { data: { ciphertext } });
      expect(err.message).to.equal(message);
    }
    await env.fails('update', 'transit/encrypt/m', 'invalid_request', { data: { plaintext: 'not base64!' } });
    const nonce = await env.fails('update', 'transit/encrypt/m', 'invalid_request', { data: { plaintext: b64('x'), nonce: b64('123456789012') } });
    expect(nonce.message).to.equal('provided nonce not allowed for this key');
    await env.fails('update', 'transit/keys/bad', 'invalid_request', { data: { type: 'aes512' } });
    await env.fails('update', 'transit/decrypt/missing', 'invalid_request', { data: { ciphertext: 'vault:v1:AAAA' } });
    await env.fails('update', 'transit/encrypt/m', 'invalid_request', { data: { batch_input: 'x' } });
  });

  it('issues data keys whose wrapped form decrypts to the returned plaintext', async () => {
    await data('update', 'keys/dk', {});
    const plain = await data('update', 'datakey/plaintext/dk', { bits: 512 });
    expect(Buffer.from(plain.plaintext, 'base64')).to.have.length(64);
    expect((await data('update', 'decrypt/dk', { ciphertext: plain.ciphertext })).plaintext).to.equal(plain.plaintext);
    const wrapped = await data('update', 'datakey/wrapped/dk', {});
    expect(wrapped).not.to.have.property('plaintext');
    await env.fails('update', 'transit/datakey/other/dk', 'invalid_request');
    await env.fails('update', 'transit/datakey/plaintext/dk', 'invalid_request', { data: { bits: 100 } });
  });

  it('computes and verifies HMACs, hashes and random bytes', async () => {
    await data('update', 'keys/h', { type: 'hmac', key_size: 64 });
    const { hmac } = await data('update', 'hmac/h/sha2-512', { input: b64('data') });
    expect(hmac).to.match(/^vault:v1:/);
    expect(Buffer.from(hmac.split(':')[2], 'base64')).to.have.length(64);
    expect((await data('update', 'verify/h/sha2-512', { input: b64('data'), hmac })).valid).to.equal(true);
    expect((await data('update', 'verify/h', { input: b64('data'), hmac })).valid).to.equal(false);
    await env.fails('update', 'transit/encrypt/h', 'invalid_request', { data: { plaintext: b64('x') } });
    expect((await data('update', 'hash', { input: b64('abc') })).sum).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect((await data('update', 'hash/sha3-256', { input: b64('abc'), format: 'base64' })).sum).to.be.a('string');
    expect(Buffer.from((await data('update', 'random/64', {})).random_bytes, 'base64')).to.have.length(64);
    expect((await data('update', 'random', { bytes: 8, format: 'hex' })).random_bytes).to.match(/^[0-9a-f]{16}$/);
    await env.fails('update', 'transit/random', 'invalid_request', { data: { bytes: 10_000_000 } });
  });

  it('exports only exportable keys, and backs up and restores them with every version', async () => {
    await data('update', 'keys/plain', {});
    await env.fails('read', 'transit/export/encryption-key/plain', 'invalid_request');
    await env.fails('read', 'transit/backup/plain', 'invalid_request');
    await data('update', 'keys/e', { exportable: true, allow_plaintext_backup: true });
    await data('update', 'keys/e/rotate');
    const exported = await data('read', 'export/encryption-key/e');
    expect(Object.keys(exported.keys)).to.deep.equal(['1', '2']);
    expect(Buffer.from(exported.keys['1'], 'base64')).to.have.length(32);
    expect(Object.keys((await data('read', 'export/hmac-key/e/latest')).keys)).to.deep.equal(['2']);
    const ct = (await data('update', 'encrypt/e', { plaintext: b64('kept') })).ciphertext as string;
    const { backup } = await data('read', 'backup/e');
    await data('update', 'restore/e2', { backup });
    expect(unb64((await data('update', 'decrypt/e2', { ciphertext: ct })).plaintext)).to.equal('kept');
    await env.fails('update', 'transit/restore/e2', 'invalid_request', { data: { backup } });
    await data('update', 'restore/e2', { backup, force: true });
    await env.fails('update', 'transit/restore', 'invalid_request', { data: { backup: b64('{"policy":1}') } });
    await env.fails('update', 'transit/keys/e/config', 'invalid_request', { data: { exportable: false } });
  });

  it('deletes a key only once deletion_allowed is set, and lists keys', async () => {
    await data('update', 'keys/a', {});
    await data('update', 'keys/z', { type: 'ed25519' });
    expect((await data('list', 'keys')).keys).to.deep.equal(['a', 'z']);
    await env.fails('delete', 'transit/keys/a', 'invalid_request');
    await data('update', 'keys/a/config', { deletion_allowed: true });
    await env.call('delete', 'transit/keys/a');
    expect((await data('list', 'keys')).keys).to.deep.equal(['z']);
  });

  it('signs with derived ed25519 keys per context and returns the public key', async () => {
    await data('update', 'keys/ed', { type: 'ed25519', derived: true });
    const signed = await data('update', 'sign/ed', { input: b64('m'), context: b64('ctx') });
    expect(signed.publickey).to.be.a('string');
    expect((await data('update', 'verify/ed', { input: b64('m'), signature: signed.signature, context: b64('ctx') })).valid).to.equal(true);
    expect((await data('update', 'verify/ed', { input: b64('m'), signature: signed.signature, context: b64('other') })).valid).to.equal(false);
  });

  it('marshals ECDSA signatures as JWS when asked and RSA as PKCS#1 v1.5', async () => {
    await data('update', 'keys/ec', { type: 'ecdsa-p256' });
    const jws = (await data('update', 'sign/ec', { input: b64('m'), marshaling_algorithm: 'jws' })).signature as string;
    expect(Buffer.from(jws.split(':')[2] as string, 'base64url')).to.have.length(64);
    expect((await data('update', 'verify/ec', { input: b64('m'), signature: jws, marshaling_algorithm: 'jws' })).valid).to.equal(true);
    await data('update', 'keys/rs', { type: 'rsa-2048' });
    const sig = (await data('update', 'sign/rs/sha2-384', { input: b64('m'), signature_algorithm: 'pkcs1v15' })).signature;
    expect((await data('update', 'verify/rs/sha2-384', { input: b64('m'), signature: sig, signature_algorithm: 'pkcs1v15' })).valid).to.equal(true);
    expect((await data('update', 'verify/rs/sha2-384', { input: b64('m'), signature: sig })).valid).to.equal(false);
  });
});
