import { expect } from 'chai';
import type { Server } from 'node:http';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createApp, MAX_REQUEST_BYTES } from '../../../server/http/app.js';
import { startInProcessCore } from '../../helpers/in-process-core.js';

/** Sends a request declaring `Content-Length` without sending the body, and returns the answer. */
function declareLength(port: number, method: string, path: string, contentLength: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-length': String(contentLength) } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

describe('HTTP app (/v1 route: size check, body, peer-readable status)', () => {
  let server: Server;
  let base: string;
  let port: number;
  let token: string;

  before(async () => {
    const env = await startInProcessCore();
    token = env.rootToken;
    const app = createApp({ core: env.core, logger: pino({ level: 'silent' }) });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
    const mount = await fetch(`${base}/v1/sys/mounts/kv`, { method: 'POST', headers: { 'x-vault-token': token }, body: '{"type":"kv"}' });
    expect(mount.status).to.equal(204);
  });

  after(() => {
    server.close();
  });

  it('reads a write body whole and answers a KV write with 204 and no body', async () => {
    const write = await fetch(`${base}/v1/kv/app-test`, { method: 'PUT', headers: { 'x-vault-token': token }, body: '{"value":"v1","n":2}' });
    expect(write.status).to.equal(204);
    expect(await write.text()).to.equal('');
    const read = await fetch(`${base}/v1/kv/app-test`, { headers: { 'x-vault-token': token } });
    expect(read.status).to.equal(200);
    expect(((await read.json()) as { data: unknown }).data).to.deep.equal({ value: 'v1', n: 2 });
  });

  it('refuses a body declared over the limit at once, under /v1 and elsewhere, before any byte of it', async () => {
    for (const path of ['/v1/kv/app-test', '/not-an-api-path']) {
      const answer = await declareLength(port, 'PUT', path, MAX_REQUEST_BYTES + 1);
      expect(answer.status, path).to.equal(413);
      expect(JSON.parse(answer.body), path).to.deep.equal({ errors: ['http: request body too large'] });
    }
    const read = await fetch(`${base}/v1/kv/app-test`, { headers: { 'x-vault-token': token } });
    expect(((await read.json()) as { data: unknown }).data).to.deep.equal({ value: 'v1', n: 2 });
  });

  it('answers a body that is not JSON with a 400 and no state change', async () => {
    const res = await fetch(`${base}/v1/kv/app-test`, { method: 'PUT', headers: { 'x-vault-token': token }, body: '{"value":' });
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { errors: string[] }).errors).to.deep.equal(['failed to parse JSON input: invalid JSON']);
    const read = await fetch(`${base}/v1/kv/app-test`, { headers: { 'x-vault-token': token } });
    expect(((await read.json()) as { data: unknown }).data).to.deep.equal({ value: 'v1', n: 2 });
  });

  it('marks the peer-readable status paths for cross-origin reads as an Express GET route matches them', async () => {
    const marked = async (method: string, path: string): Promise<boolean> => {
      const res = await fetch(`${base}${path}`, { method });
      await res.arrayBuffer();
      return res.headers.get('access-control-allow-origin') === '*';
    };
    expect(await marked('GET', '/v1/sys/replication/status')).to.equal(true);
    expect(await marked('GET', '/v1/sys/replication/dr/status/')).to.equal(true);
    expect(await marked('GET', '/V1/SYS/Replication/Performance/Status')).to.equal(true);
    expect(await marked('HEAD', '/v1/sys/replication/status')).to.equal(true);
    expect(await marked('POST', '/v1/sys/replication/status')).to.equal(false);
    expect(await marked('GET', '/v1/sys/replication/status//')).to.equal(false);
    expect(await marked('GET', '/v1/sys/replication/statusx')).to.equal(false);
    expect(await marked('GET', '/v1/sys/mounts')).to.equal(false);
  });
});
