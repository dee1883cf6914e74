import { expect } from 'chai';
import { HvacError, runHvac } from '../helpers/hvac.js';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * The transit engine driven by a second real client, Python's hvac (Debian's python3-hvac 0.11.2),
 * through `client.secrets.transit.*` exactly as hvac's documentation shows.
 */
describe('hvac: transit secrets engine', function () {
  this.timeout(120_000);
  let server: ServerHandle;
  const hvac = (body: string) => runHvac(server.addr, server.rootToken, body);

  before(async () => {
    server = await startDevServer();
    await hvac("client.sys.enable_secrets_engine(backend_type='transit')\nresult = True");
  });

  after(async () => {
    await server?.stop();
  });

  it('creates, reads, lists, configures, rotates and deletes keys', async () => {
    const result = (await hvac(`
t = client.secrets.transit
t.create_key(name='orders')
t.create_key(name='signer', key_type='ecdsa-p256')
read = t.read_key(name='orders')['data']
t.rotate_key(name='orders')
t.update_key_configuration(name='orders', min_decryption_version=2, deletion_allowed=True)
after = t.read_key(name='orders')['data']
keys = t.list_keys()['data']['keys']
t.delete_key(name='orders')
try:
    t.read_key(name='orders')
    gone = False
except hvac.exceptions.InvalidPath:
    gone = True
result = {'read': read, 'after': after, 'keys': keys, 'gone': gone}
`)) as Record<string, any>;
    expect(result.read).to.include({ type: 'aes256-gcm96', latest_version: 1, min_decryption_version: 1, deletion_allowed: false, supports_encryption: true });
    expect(result.after).to.include({ latest_version: 2, min_decryption_version: 2, deletion_allowed: true });
    expect(Object.keys(result.after.keys)).to.deep.equal(['1', '2']);
    expect(result.keys).to.deep.equal(['orders', 'signer']);
    expect(result.gone).to.equal(true);
  });

  it('encrypts, decrypts and rewraps, one at a time and in batches', async () => {
    const result = (await hvac(`
import base64
t = client.secrets.transit
t.create_key(name='pay')
p = base64.b64encode(b'card 4111').decode()
ct = t.encrypt_data(name='pay', plaintext=p)['data']['ciphertext']
t.rotate_key(name='pay')
rewrapped = t.rewrap_data(name='pay', ciphertext=ct)['data']['ciphertext']
plain = base64.b64decode(t.decrypt_data(name='pay', ciphertext=rewrapped)['data']['plaintext']).decode()
batch = t.encrypt_data(name='pay', plaintext='', batch_input=[{'plaintext': p}, {'plaintext': base64.b64encode(b'second').decode()}])['data']['batch_results']
back = t.decrypt_data(name='pay', ciphertext='', batch_input=[{'ciphertext': r['ciphertext']} for r in batch])['data']['batch_results']
result = {'ct': ct, 'rewrapped': rewrapped, 'plain': plain, 'batch': batch, 'back': [base64.b64decode(b['plaintext']).decode() for b in back]}
`)) as Record<string, any>;
    expect(result.ct).to.match(/^vault:v1:/);
    expect(result.rewrapped).to.match(/^vault:v2:/);
    expect(result.plain).to.equal('card 4111');
    expect(result.batch.map((b: { key_version: number }) => b.key_version)).to.deep.equal([2, 2]);
    expect(result.back).to.deep.equal(['card 4111', 'second']);
  });

  it('does convergent encryption with derived keys and context', async () => {
    const result = (await hvac(`
import base64
t = client.secrets.transit
t.create_key(name='conv', derived=True, convergent_encryption=True)
ctx = base64.b64encode(b'tenant-1').decode()
p = base64.b64encode(b'same').decode()
a = t.encrypt_data(name='conv', plaintext=p, context=ctx)['data']['ciphertext']
b = t.encrypt_data(name='conv', plaintext=p, context=ctx)['data']['ciphertext']
try:
    t.encrypt_data(name='conv', plaintext=p)
    err = None
except hvac.exceptions.InvalidRequest as e:
    err = e.errors
result = {'same': a == b, 'plain': base64.b64decode(t.decrypt_data(name='conv', ciphertext=a, context=ctx)['data']['plaintext']).decode(), 'err': err,
          'read': t.read_key(name='conv')['data']}
`)) as Record<string, any>;
    expect(result.same).to.equal(true);
    expect(result.plain).to.equal('same');
    expect(result.err[0]).to.include("missing 'context' for key derivation");
    expect(result.read).to.include({ derived: true, convergent_encryption: true });
  });

  it('generates data keys, random bytes, hashes and HMACs', async () => {
    const result = (await hvac(`
import base64
t = client.secrets.transit
t.create_key(name='dk')
dk = t.generate_data_key(name='dk', key_type='plaintext', bits=256)['data']
wrapped = t.generate_data_key(name='dk', key_type='wrapped')['data']
unwrapped = t.decrypt_data(name='dk', ciphertext=dk['ciphertext'])['data']['plaintext']
rnd = t.generate_random_bytes(n_bytes=16, output_format='hex')['data']['random_bytes']
digest = t.hash_data(hash_input=base64.b64encode(b'abc').decode(), algorithm='sha2-256', output_format='hex')['data']['sum']
mac = t.generate_hmac(name='dk', hash_input=base64.b64encode(b'msg').decode(), algorithm='sha2-256')['data']['hmac']
ok = t.verify_signed_data(name='dk', hash_input=base64.b64encode(b'msg').decode(), hmac=mac)['data']['valid']
bad = t.verify_signed_data(name='dk', hash_input=base64.b64encode(b'msh').decode(), hmac=mac)['data']['valid']
result = {'dk_matches': unwrapped == dk['plaintext'], 'dk_len': len(base64.b64decode(dk['plaintext'])), 'wrapped_has_plain': 'plaintext' in wrapped,
          'rnd': rnd, 'digest': digest, 'mac': mac, 'ok': ok, 'bad': bad}
`)) as Record<string, any>;
    expect(result).to.include({ dk_matches: true, dk_len: 32, wrapped_has_plain: false, ok: true, bad: false });
    expect(result.rnd).to.match(/^[0-9a-f]{32}$/);
    expect(result.digest).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(result.mac).to.match(/^vault:v1:/);
  });

  it('signs and verifies with ed25519, ECDSA (asn1 and jws) and RSA (pss and pkcs1v15)', async () => {
    const result = (await hvac(`
import base64
t = client.secrets.transit
msg = base64.b64encode(b'release v1.2.3').decode()
other = base64.b64encode(b'release v1.2.4').decode()
out = {}
for name, ktype, kw in [('ed', 'ed25519', {}), ('ec', 'ecdsa-p384', {'marshaling_algorithm': 'jws'}), ('ec2', 'ecdsa-p256', {}),
                        ('rsa', 'rsa-2048', {'signature_algorithm': 'pss'}), ('rsa2', 'rsa-2048', {'signature_algorithm': 'pkcs1v15', 'hash_algorithm': 'sha2-512'})]:
    t.create_key(name=name, key_type=ktype)
    sig = t.sign_data(name=name, hash_input=msg, **kw)['data']['signature']
    out[name] = [sig.startswith('vault:v1:'),
                 t.verify_signed_data(name=name, hash_input=msg, signature=sig, **kw)['data']['valid'],
                 t.verify_signed_data(name=name, hash_input=other, signature=sig, **kw)['data']['valid']]
result = out
`)) as Record<string, boolean[]>;
    for (const name of ['ed', 'ec', 'ec2', 'rsa', 'rsa2']) expect(result[name], name).to.deep.equal([true, true, false]);
  });

  it('exports, backs up, restores and trims keys', async () => {
    const result = (await hvac(`
import base64
t = client.secrets.transit
t.create_key(name='ex', exportable=True, allow_plaintext_backup=True)
t.rotate_key(name='ex')
t.rotate_key(name='ex')
ct = t.encrypt_data(name='ex', plaintext=base64.b64encode(b'kept').decode())['data']['ciphertext']
exported = t.export_key(name='ex', key_type='encryption-key')['data']['keys']
latest = t.export_key(name='ex', key_type='hmac-key', version='latest')['data']['keys']
backup = t.backup_key(name='ex')['data']['backup']
t.restore_key(backup=backup, name='ex-copy')
copy_plain = base64.b64decode(t.decrypt_data(name='ex-copy', ciphertext=ct)['data']['plaintext']).decode()
t.update_key_configuration(name='ex', min_decryption_version=2, min_encryption_version=3)
trimmed = t.trim_key(name='ex', min_version=2)
try:
    t.export_key(name='ex-none', key_type='encryption-key')
    missing = None
except hvac.exceptions.InvalidPath:
    missing = 'not found'
t.create_key(name='secretive')
try:
    t.export_key(name='secretive', key_type='encryption-key')
    refused = None
except hvac.exceptions.InvalidRequest as e:
    refused = e.errors
result = {'exported': sorted(exported.keys()), 'latest': sorted(latest.keys()), 'copy': copy_plain,
          'trimmed': sorted(t.read_key(name='ex')['data']['keys'].keys()), 'missing': missing, 'refused': refused}
`)) as Record<string, any>;
    expect(result.exported).to.deep.equal(['1', '2', '3']);
    expect(result.latest).to.deep.equal(['3']);
    expect(result.copy).to.equal('kept');
    expect(result.trimmed).to.deep.equal(['2', '3']);
    expect(result.missing).to.equal('not found');
    expect(result.refused).to.deep.equal(['private key material is not exportable']);
  });

  it('surfaces bad input as hvac InvalidRequest with Vault messages', async () => {
    await hvac("client.secrets.transit.create_key(name='strict')\nresult = True");
    const err = await hvac("result = client.secrets.transit.decrypt_data(name='strict', ciphertext='vault:v1:not-base64!')").then(
      () => expect.fail('decrypt of garbage succeeded'),
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(HvacError);
    expect((err as HvacError).pythonClass).to.equal('hvac.exceptions.InvalidRequest');
    expect((err as HvacError).errors).to.deep.equal(['invalid ciphertext: could not decode base64']);
    const none = await hvac("client.secrets.transit.delete_key(name='strict')").then(
      () => undefined,
      (e: unknown) => e as HvacError,
    );
    expect(none?.errors).to.deep.equal(['deletion is not allowed for this key']);
  });
});
