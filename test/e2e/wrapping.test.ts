import { expect } from 'chai';
import vault from 'node-vault';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';
import { failureOf, type VaultClient } from '../helpers/node-vault-client.js';

type Client = VaultClient;

/** Flips one bit in the middle of a JWT's signature (base64url segment 3). */
function flipSignatureByte(jwt: string): string {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0x01;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

const SECRET = 'CANARY-e2e-wrapping-0c41d7';
const INVALID = 'wrapping token is not valid or does not exist';

describe('response wrapping through a real server (node-vault client)', () => {
  let server: ServerHandle;
  let client: Client;

  before(async () => {
    server = await startDevServer();
    client = vault({ endpoint: server.addr, token: server.rootToken });
    await client.write('secret/data/wrapped', { data: { password: SECRET } });
  });
  after(async () => {
    await server?.stop();
  });

  const wrappedRead = async (ttl = '120s') => {
    const res = await client.read('secret/data/wrapped', { headers: { 'X-Vault-Wrap-TTL': ttl } });
    return res as { data: unknown; wrap_info: Record<string, any> };
  };

  it('answers X-Vault-Wrap-TTL with wrap_info only', async () => {
    const res = await wrappedRead();
    expect(res.data).to.equal(null);
    expect(res.wrap_info).to.include({ ttl: 120, creation_path: 'secret/data/wrapped' });
    expect(res.wrap_info.token).to.match(/^hvs\./);
    expect(res.wrap_info.accessor).to.be.a('string').that.is.not.empty;
    expect(JSON.stringify(res)).not.to.contain(SECRET);
  });

  it('unwraps once; a second unwrap is 400', async () => {
    const { token } = (await wrappedRead()).wrap_info;
    const unwrapped = await client.unwrap({ token });
    expect(unwrapped.data.data.password).to.equal(SECRET);
    const again = await failureOf(client.unwrap({ token }));
    expect(again.status).to.equal(400);
    expect(again.body.errors).to.deep.equal([INVALID]);
  });

  it('looks a token up without authentication and without consuming it', async () => {
    const { token } = (await wrappedRead('90s')).wrap_info;
    for (let i = 0; i < 2; i++) {
      const res = await server.request('POST', 'sys/wrapping/lookup', { token: null, body: { token } });
      expect(res.status).to.equal(200);
      expect(res.body.data).to.include({ creation_ttl: 90, creation_path: 'secret/data/wrapped' });
    }
    expect((await client.unwrap({ token })).data.data.password).to.equal(SECRET);
    expect((await server.request('POST', 'sys/wrapping/lookup', { token: null, body: { token } })).status).to.equal(400);
  });

  it('wraps arbitrary data (sys/wrapping/wrap) and rewraps it behind a new token', async () => {
    const wrapped = await server.request('POST', 'sys/wrapping/wrap', { body: { note: SECRET }, headers: { 'X-Vault-Wrap-TTL': '5m' } });
    expect(wrapped.body.wrap_info).to.include({ ttl: 300, creation_path: 'sys/wrapping/wrap' });
    expect(wrapped.body.warnings).to.equal(null);
    const rewrapped = await server.request('POST', 'sys/wrapping/rewrap', { body: { token: wrapped.body.wrap_info.token } });
    expect(rewrapped.status).to.equal(200);
    expect(rewrapped.body.wrap_info.token).not.to.equal(wrapped.body.wrap_info.token);
    expect((await failureOf(client.unwrap({ token: wrapped.body.wrap_info.token }))).status).to.equal(400);
    expect((await client.unwrap({ token: rewrapped.body.wrap_info.token })).data).to.deep.equal({ note: SECRET });
  });

  it('refuses a JWT-form wrapping token with a flipped signature byte, consuming nothing', async () => {
    // The activation token of a secondary is the JWT form (ES512, this cluster's P-521 key).
    await client.write('sys/replication/performance/primary/enable', {});
    const issued = await client.write('sys/replication/performance/primary/secondary-token', { id: 'wrapping-e2e' });
    const jwt = issued.wrap_info.token as string;
    const header = JSON.parse(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString('utf8')) as Record<string, string>;
    expect(header.alg).to.equal('ES512');
    const tampered = flipSignatureByte(jwt);
    const refused = await failureOf(client.unwrap({ token: tampered }));
    expect(refused.status).to.equal(400);
    expect(refused.body.errors).to.deep.equal([INVALID]);
    expect((await server.request('POST', 'sys/wrapping/lookup', { token: null, body: { token: tampered } })).status).to.equal(400);
    // The genuine token is untouched: lookup works, and it unwraps exactly once.
    const lookup = await server.request('POST', 'sys/wrapping/lookup', { token: null, body: { token: jwt } });
    expect(lookup.body.data.creation_path).to.equal(issued.wrap_info.creation_path);
    expect((await client.unwrap({ token: jwt })).data).to.be.an('object');
    expect((await failureOf(client.unwrap({ token: jwt }))).status).to.equal(400);
  });

  it('refuses an expired wrapping token', async () => {
    const { token } = (await wrappedRead('1s')).wrap_info;
    await new Promise((r) => setTimeout(r, 2100));
    expect((await failureOf(client.unwrap({ token }))).status).to.equal(400);
  });

  it('never writes the wrapped secret or wrapping tokens to the server log', () => {
    expect(server.logs()).not.to.contain(SECRET);
  });
});
