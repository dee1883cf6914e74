import { expect } from 'chai';
import { decrypt, generateKey, readMessage, readPrivateKey } from 'openpgp';
import { HvacError, runHvac } from '../helpers/hvac.js';
import { startSqliteServer, type ServerHandle } from '../helpers/test-cluster.js';

/** A Python expression for a JSON value (JSON string escapes are valid Python string escapes). */
const py = (value: unknown): string => `json.loads(${JSON.stringify(JSON.stringify(value))})`;

/** A throwaway OpenPGP key pair: the public key as base64 of its binary form, as hvac sends `pgp_keys`. */
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

/**
 * hvac (Debian's python3-hvac) driving sys/: init, seal status, unseal, rekey (plain, with PGP keys
 * and backup, with verification), mounts with the `generic` type, generic LIST with `?list=True`,
 * and unwrap with a consumed wrapping token.
 */
describe('hvac against ferry: sys', function () {
  this.timeout(120_000);
  let server: ServerHandle;
  let root = '';

  before(async () => {
    server = await startSqliteServer({ initialize: false });
  });

  after(async () => {
    await server?.stop();
  });

  const hvac = (body: string, token = root) => runHvac(server.addr, token, body) as Promise<any>;

  it('initializes and unseals, reading the flat sys/init and sys/seal-status answers', async () => {
    const result = await hvac(
      `
result = {"before": client.sys.read_init_status(), "is_initialized": client.sys.is_initialized()}
init = client.sys.initialize(secret_shares=3, secret_threshold=2)
result["init"] = init
result["sealed"] = client.sys.read_seal_status()
result["unseal"] = client.sys.submit_unseal_keys(init["keys"][0:2])
result["is_sealed"] = client.sys.is_sealed()
result["after"] = client.sys.read_init_status()
`,
      '',
    );
    expect(result.before).to.deep.equal({ initialized: false });
    expect(result.is_initialized).to.equal(false);
    expect(result.after).to.deep.equal({ initialized: true });
    expect(result.init.keys).to.have.length(3);
    expect(result.init).to.have.keys(['keys', 'keys_base64', 'root_token']);
    expect(result.sealed).to.include({ sealed: true, t: 2, n: 3, progress: 0, initialized: true, type: 'shamir' });
    expect(result.sealed).to.not.have.any.keys('data', 'request_id', 'lease_id');
    expect(result.unseal).to.include({ sealed: false });
    expect(result.is_sealed).to.equal(false);
    root = result.init.root_token;
    server.rootToken = root;
    server.unsealKeys = result.init.keys_base64;
    server.unsealThreshold = 2;
  });

  it('rekeys (start_rekey, read_rekey_progress, rekey_multi); the new keys unseal after a restart', async () => {
    const result = await hvac(`
first = client.sys.start_rekey(secret_shares=5, secret_threshold=3)
progress = client.sys.read_rekey_progress()
client.sys.cancel_rekey()
cancelled = client.sys.read_rekey_progress()
start = client.sys.start_rekey(secret_shares=5, secret_threshold=3)
one = client.sys.rekey(key=${py(server.unsealKeys[0])}, nonce=start["nonce"])
done = client.sys.rekey_multi(${py(server.unsealKeys.slice(1, 2))}, nonce=start["nonce"])
result = {"first": first, "start": start, "progress": progress, "cancelled": cancelled, "one": one, "done": done, "status": client.sys.read_seal_status()}
`);
    expect(result.start).to.include({ started: true, t: 3, n: 5, required: 2, progress: 0 });
    expect(result.progress).to.include({ started: true, nonce: result.first.nonce });
    expect(result.start.nonce).to.not.equal(result.first.nonce);
    expect(result.cancelled).to.include({ started: false });
    expect(result.one).to.include({ started: true, progress: 1 });
    expect(result.done).to.include({ complete: true });
    expect(result.done.keys).to.have.length(5);
    expect(result.status).to.include({ t: 3, n: 5, sealed: false });
    server.unsealKeys = result.done.keys_base64;
    server.unsealThreshold = 3;
    await server.restart();
    const after = await hvac('result = {"sealed": client.sys.is_sealed(), "authenticated": client.is_authenticated()}');
    expect(after).to.deep.equal({ sealed: false, authenticated: true });
  });

  it('rekeys to PGP keys with backup: the shares decrypt to working keys; read_backup_keys returns them', async () => {
    const pairs = await Promise.all(['ops-a', 'ops-b', 'ops-c'].map((n) => pgpKeyPair(n)));
    const result = await hvac(`
start = client.sys.start_rekey(secret_shares=3, secret_threshold=2, pgp_keys=${py(pairs.map((p) => p.publicKeyBase64))}, backup=True)
done = client.sys.rekey_multi(${py(server.unsealKeys.slice(0, 3))}, nonce=start["nonce"])
result = {"start": start, "done": done, "backup": client.sys.read_backup_keys()}
`);
    expect(result.start).to.include({ backup: true });
    expect(result.start.pgp_fingerprints).to.have.length(3);
    expect(result.done).to.include({ complete: true, backup: true });
    expect(result.backup.data.nonce).to.equal(result.done.nonce);
    for (const [i, fingerprint] of (result.done.pgp_fingerprints as string[]).entries()) {
      expect(result.backup.data.keys[fingerprint]).to.deep.equal([result.done.keys[i]]);
    }
    const shares = await Promise.all(pairs.map((p, i) => p.decryptShare(result.done.keys_base64[i])));
    server.unsealKeys = shares;
    server.unsealThreshold = 2;
    await server.restart();
    expect(await hvac('result = client.sys.is_sealed()')).to.equal(false);
  });

  it('rekeys with verification (rekey_verify_multi): the switch happens only after the new keys are given back', async () => {
    const result = await hvac(`
start = client.sys.start_rekey(secret_shares=2, secret_threshold=2, require_verification=True)
done = client.sys.rekey_multi(${py(server.unsealKeys.slice(0, 2))}, nonce=start["nonce"])
before = client.sys.read_seal_status()
progress = client.sys.read_rekey_verify_progress()
verified = client.sys.rekey_verify_multi(done["keys"], nonce=done["verification_nonce"])
result = {"done": done, "before": before, "progress": progress, "verified": verified, "after": client.sys.read_seal_status()}
`);
    expect(result.done).to.include({ complete: true, verification_required: true });
    expect(result.before).to.include({ n: 3 });
    expect(result.progress).to.include({ t: 2, n: 2, progress: 0, nonce: result.done.verification_nonce });
    expect(result.verified).to.include({ complete: true });
    expect(result.after).to.include({ t: 2, n: 2 });
    server.unsealKeys = result.done.keys;
    await server.restart();
    expect(await hvac('result = client.sys.is_sealed()')).to.equal(false);
  });

  it('cancels a young rekey without the nonce only for an authenticated operator, as hvac does (Vault: nonce required)', async () => {
    const result = await hvac(`
import os
start = client.sys.start_rekey(secret_shares=1, secret_threshold=1)
anonymous = hvac.Client(url=os.environ["FERRY_HVAC_ADDR"])
try:
    anonymous.sys.cancel_rekey()
    refused = None
except hvac.exceptions.InvalidRequest as err:
    refused = str(err)
still = client.sys.read_rekey_progress()
anonymous.adapter.delete("/v1/sys/rekey/init", json={"nonce": start["nonce"]})
after_nonce = client.sys.read_rekey_progress()
result = {"refused": refused, "still": still, "after_nonce": after_nonce}
`);
    expect(result.refused).to.match(/'nonce' must be specified to cancel a rekey started less than 10 minutes ago/);
    expect(result.still).to.include({ started: true });
    expect(result.after_nonce).to.include({ started: false });
  });

  it('refuses a wrong rekey nonce with hvac.exceptions.InvalidRequest', async () => {
    const failure = await hvac(`
start = client.sys.start_rekey(secret_shares=1, secret_threshold=1)
try:
    client.sys.rekey(key=${py(server.unsealKeys[0])}, nonce="not-the-nonce")
finally:
    client.sys.cancel_rekey()
`).catch((err: unknown) => err);
    expect(failure).to.be.instanceOf(HvacError);
    expect((failure as HvacError).pythonClass).to.equal('hvac.exceptions.InvalidRequest');
    expect((failure as HvacError).errors?.[0]).to.match(/^incorrect nonce/);
  });

  it('mounts the generic type as kv and lists with ?list=True (client.list)', async () => {
    const result = await hvac(`
client.sys.enable_secrets_engine(backend_type="generic", path="old")
client.write("old/app/a", foo="bar")
client.write("old/app/b", foo="baz")
result = {"list": client.list("old/app"), "read": client.read("old/app/a"), "mount": client.sys.read_mount_configuration("old")}
result["type"] = client.sys.list_mounted_secrets_engines()["data"]["old/"]["type"]
`);
    expect(result.list.data.keys).to.deep.equal(['a', 'b']);
    expect(result.read.data).to.deep.equal({ foo: 'bar' });
    expect(result.type).to.equal('kv');
    for (const spelling of ['1', 't', 'T', 'TRUE', 'True', 'true']) {
      const res = await server.request('GET', `old/app?list=${spelling}`, { token: root });
      expect(res.status, spelling).to.equal(200);
      expect(res.body.data.keys, spelling).to.deep.equal(['a', 'b']);
    }
    const repeated = await server.request('GET', 'old/app?list=True&list=nope', { token: root });
    expect(repeated.body.data.keys).to.deep.equal(['a', 'b']);
    const plain = await server.request('GET', 'old/app/a?list=False', { token: root });
    expect(plain.body.data).to.deep.equal({ foo: 'bar' });
    const bad = await server.request('GET', 'old/app?list=yes', { token: root });
    expect(bad.status).to.equal(400);
    expect(bad.body).to.deep.equal({ errors: [] });
  });

  it('answers unwrap with a consumed wrapping token as the client token with 400 "wrapping token is not valid or does not exist"', async () => {
    const wrapped = await hvac('result = client.write("sys/wrapping/wrap", wrap_ttl="60s", secret="s3")["wrap_info"]["token"]');
    const first = await runHvac(server.addr, wrapped as string, 'result = client.sys.unwrap()');
    expect((first as any).data).to.deep.equal({ secret: 's3' });
    const failure = await runHvac(server.addr, wrapped as string, 'result = client.sys.unwrap()').catch((err: unknown) => err);
    expect((failure as HvacError).pythonClass).to.equal('hvac.exceptions.InvalidRequest');
    expect((failure as HvacError).errors).to.deep.equal(['wrapping token is not valid or does not exist']);
  });

  it('sends errors as exactly application/json, so hvac reads the messages', async () => {
    const res = await server.request('GET', 'sys/policies/acl/none-such', { token: 'bogus' });
    expect(res.headers.get('content-type')).to.equal('application/json');
    const failure = await runHvac(server.addr, 'bogus', 'result = client.sys.read_policy("x")').catch((err: unknown) => err);
    expect((failure as HvacError).errors).to.deep.equal(['permission denied']);
  });
});
