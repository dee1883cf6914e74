import { expect } from 'chai';
import { startDevServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * Transit keys replicate as Vault's do: configuration and key material travel from the primary,
 * so ciphertexts cross clusters and a rotation on the primary is used on the secondary.
 */
describe('replication: transit keys', function () {
  this.timeout(180_000);
  const root = 'transit-repl-root';
  let primary: ServerHandle;
  let secondary: ServerHandle;
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  before(async () => {
    [primary, secondary] = await Promise.all([startDevServer({ rootTokenId: root }), startDevServer({ rootTokenId: root })]);
    expect((await primary.request('POST', 'sys/replication/primary/enable')).status).to.be.oneOf([200, 204]);
    const tokenRes = await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'sec' } });
    expect(tokenRes.status, tokenRes.text).to.equal(200);
    const enable = await secondary.request('POST', 'sys/replication/secondary/enable', { body: { token: tokenRes.body.wrap_info.token } });
    expect(enable.status, enable.text).to.equal(200);
    await waitFor(
      async () => {
        const st = (await secondary.request('GET', 'sys/replication/status', { token: null })).body.data;
        return st.mode === 'secondary' && st.state === 'stream-wals' && st.connection_state === 'ready' ? true : undefined;
      },
      { timeoutMs: 30_000, description: 'secondary streaming' },
    );
    expect((await primary.request('POST', 'sys/mounts/transit', { body: { type: 'transit' } })).status).to.equal(204);
    expect((await primary.request('POST', 'transit/keys/shared', { body: {} })).status).to.equal(200);
    await waitFor(async () => ((await secondary.request('GET', 'transit/keys/shared')).status === 200 ? true : undefined), {
      timeoutMs: 20_000,
      description: 'key on the secondary',
    });
  });

  after(async () => {
    await Promise.all([primary?.stop(), secondary?.stop()]);
  });

  it('decrypts on the secondary a ciphertext made on the primary, and the other way round', async () => {
    const enc = await primary.request('POST', 'transit/encrypt/shared', { body: { plaintext: b64('from primary') } });
    expect(enc.status, enc.text).to.equal(200);
    const dec = await secondary.request('POST', 'transit/decrypt/shared', { body: { ciphertext: enc.body.data.ciphertext } });
    expect(dec.status, dec.text).to.equal(200);
    expect(Buffer.from(dec.body.data.plaintext, 'base64').toString()).to.equal('from primary');
    const back = await secondary.request('POST', 'transit/encrypt/shared', { body: { plaintext: b64('from secondary') } });
    expect(back.status, back.text).to.equal(200);
    const onPrimary = await primary.request('POST', 'transit/decrypt/shared', { body: { ciphertext: back.body.data.ciphertext } });
    expect(Buffer.from(onPrimary.body.data.plaintext, 'base64').toString()).to.equal('from secondary');
  });

  it('uses on the secondary a key version rotated on the primary', async () => {
    const rotated = await primary.request('POST', 'transit/keys/shared/rotate');
    expect(rotated.status, rotated.text).to.equal(200);
    const latest = rotated.body.data.latest_version as number;
    const ciphertext = await waitFor(
      async () => {
        const res = await secondary.request('POST', 'transit/encrypt/shared', { body: { plaintext: b64('after rotate') } });
        return res.status === 200 && res.body.data.key_version === latest ? (res.body.data.ciphertext as string) : undefined;
      },
      { timeoutMs: 20_000, description: 'secondary encrypting with the rotated version' },
    );
    expect(ciphertext).to.match(new RegExp(`^vault:v${latest}:`));
    const dec = await primary.request('POST', 'transit/decrypt/shared', { body: { ciphertext } });
    expect(Buffer.from(dec.body.data.plaintext, 'base64').toString()).to.equal('after rotate');
  });

  it('sends key changes made on the secondary to the primary (rotate, config, upsert by encrypt)', async () => {
    const rotate = await secondary.request('POST', 'transit/keys/shared/rotate');
    expect(rotate.status, rotate.text).to.equal(200);
    const version = rotate.body.data.latest_version as number;
    expect((await primary.request('GET', 'transit/keys/shared')).body.data.latest_version).to.equal(version);
    const upsert = await secondary.request('POST', 'transit/encrypt/made-on-secondary', { body: { plaintext: b64('x') } });
    expect(upsert.status, upsert.text).to.equal(200);
    expect((await primary.request('GET', 'transit/keys/made-on-secondary')).status).to.equal(200);
    const config = await secondary.request('POST', 'transit/keys/shared/config', { body: { min_decryption_version: version } });
    expect(config.status, config.text).to.equal(200);
    await waitFor(async () => ((await secondary.request('GET', 'transit/keys/shared')).body.data.min_decryption_version === version ? true : undefined), {
      timeoutMs: 20_000,
      description: 'config back on the secondary',
    });
  });

  it('keeps a local transit mount on the secondary to itself', async () => {
    expect((await secondary.request('POST', 'sys/mounts/local-transit', { body: { type: 'transit', local: true } })).status).to.equal(204);
    const created = await secondary.request('POST', 'local-transit/keys/here', { body: {} });
    expect(created.status, created.text).to.equal(200);
    const ct = (await secondary.request('POST', 'local-transit/encrypt/here', { body: { plaintext: b64('local') } })).body.data.ciphertext;
    expect(
      Buffer.from((await secondary.request('POST', 'local-transit/decrypt/here', { body: { ciphertext: ct } })).body.data.plaintext, 'base64').toString(),
    ).to.equal('local');
    expect((await primary.request('GET', 'local-transit/keys/here')).status).to.equal(404);
  });
});
