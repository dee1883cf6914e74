import { expect } from 'chai';
import net from 'node:net';
import { ApiError } from '../../../server/api-client/api-error.js';
import { ResponseTooLargeError, TransportError } from '../../../server/api-client/transport-error.js';
import { VaultClient } from '../../../server/api-client/vault-client.js';
import { answer, rejectionOf, startLoopbackServer, type LoopbackServer } from '../../helpers/loopback-server.js';

/** A loopback port that was just free: bind to port 0, note the port, close. */
async function closedLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('server/api-client/vault-client', () => {
  const servers: LoopbackServer[] = [];
  const serve = async (...args: Parameters<typeof startLoopbackServer>) => {
    const server = await startLoopbackServer(...args);
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('sends the token, the wrap TTL and a JSON body to /v1/<path> and answers the JSON object', async () => {
    const server = await serve((_req, res) => answer(res, 200, { data: { a: '1' } }));
    const client = new VaultClient({ address: `${server.address}/`, token: 'tok', wrapTtl: '5m' });
    expect(await client.request('PUT', 'secret/a', { body: { a: '1' } })).to.deep.equal({ data: { a: '1' } });
    const seen = server.seen[0]!;
    expect(seen.method).to.equal('PUT');
    expect(seen.url).to.equal('/v1/secret/a');
    expect(seen.headers['x-vault-token']).to.equal('tok');
    expect(seen.headers['x-vault-wrap-ttl']).to.equal('5m');
    expect(seen.headers['content-type']).to.equal('application/json');
    expect(seen.body).to.equal('{"a":"1"}');
  });

  it('sends the wrap TTL header only when asked, and a request can drop the token', async () => {
    const server = await serve((_req, res) => answer(res, 200, { wrap_info: { token: 'w', ttl: 60 } }));
    const client = new VaultClient({ address: server.address, token: 'tok' });
    await client.request('GET', 'secret/a', { token: null });
    await client.request('GET', 'secret/a', { wrapTtl: '30s' });
    expect(server.seen[0]!.headers).to.not.have.property('x-vault-token');
    expect(server.seen[0]!.headers).to.not.have.property('x-vault-wrap-ttl');
    expect(server.seen[1]!.headers['x-vault-wrap-ttl']).to.equal('30s');
  });

  it('sends LIST as GET ?list=true, keeping a query the path already has', async () => {
    const server = await serve((_req, res) => answer(res, 200, { data: { keys: ['a', 'b/'] } }));
    const client = new VaultClient({ address: server.address });
    expect(await client.list('secret/')).to.deep.equal(['a', 'b/']);
    await client.request('LIST', 'sys/x?after=a');
    expect(server.seen.map((s) => `${s.method} ${s.url}`)).to.deep.equal(['GET /v1/secret/?list=true', 'GET /v1/sys/x?after=a&list=true']);
  });

  it('send keeps the LIST verb as given (for servers that take it, as Vault and Ferry do)', async () => {
    // Node's HTTP parser refuses LIST, so this server reads the request line off the socket itself.
    const requestLines: string[] = [];
    const raw = net.createServer((socket) => {
      socket.once('data', (chunk: Buffer) => {
        requestLines.push(chunk.toString('latin1').split('\r\n')[0] ?? '');
        socket.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 25\r\nconnection: close\r\n\r\n{"data":{"keys":["one"]}}');
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = raw.address() as net.AddressInfo;
      const res = await new VaultClient({ address: `http://127.0.0.1:${port}` }).send('LIST', 'secret/');
      expect(res.json).to.deep.equal({ data: { keys: ['one'] } });
      expect(requestLines).to.deep.equal(['LIST /v1/secret/ HTTP/1.1']);
    } finally {
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });

  it('answers null for an empty body (204)', async () => {
    const server = await serve((_req, res) => answer(res, 204));
    expect(await new VaultClient({ address: server.address }).request('DELETE', 'secret/a')).to.equal(null);
  });

  it('turns {"errors":[...]} into an ApiError in Vault client wording, without the token', async () => {
    const server = await serve((_req, res) => answer(res, 400, { errors: ['first', 'second'] }));
    const client = new VaultClient({ address: server.address, token: 'hvs.secret-token' });
    const err = await rejectionOf(client.request('PUT', 'sys/x', { body: {} }));
    expect(err).to.be.instanceOf(ApiError);
    const apiError = err as ApiError;
    expect(apiError.status).to.equal(400);
    expect(apiError.errors).to.deep.equal(['first', 'second']);
    expect(apiError.rawBody).to.equal(undefined);
    expect([apiError.method, apiError.path, apiError.address]).to.deep.equal(['PUT', 'sys/x', server.address]);
    expect(apiError.message).to.equal(`Error making API request.\n\nURL: PUT ${server.address}/v1/sys/x\nCode: 400. Errors:\n\n* first\n* second`);
    expect(apiError.message).to.not.include('hvs.secret-token');
    expect(apiError.mentions('SECOND')).to.equal(true);
  });

  it('keeps a body that is not Vault-shaped as the raw message', async () => {
    const server = await serve((_req, res) => answer(res, 502, 'bad gateway'));
    const err = (await rejectionOf(new VaultClient({ address: server.address }).request('GET', 'sys/health'))) as ApiError;
    expect(err.errors).to.deep.equal([]);
    expect(err.rawBody).to.equal('bad gateway');
    expect(err.message).to.include('Code: 502. Raw Message:\n\nbad gateway');
  });

  it('tells a 404 with empty errors from a 404 that says why', async () => {
    const server = await serve((req, res) => answer(res, 404, { errors: req.url.includes('why') ? ['no handler for route "why"'] : [] }));
    const client = new VaultClient({ address: server.address });
    const empty = (await rejectionOf(client.request('GET', 'secret/none'))) as ApiError;
    const said = (await rejectionOf(client.request('GET', 'why'))) as ApiError;
    expect([empty.isNotFound, empty.isEmptyNotFound]).to.deep.equal([true, true]);
    expect([said.isNotFound, said.isEmptyNotFound]).to.deep.equal([true, false]);
    expect(await client.read('secret/none')).to.equal(null);
    expect(await client.list('secret/none/')).to.deep.equal([]);
  });

  it('refuses an answer over the size limit instead of truncating it, whether or not it declares its length', async () => {
    const big = JSON.stringify({ data: { v: 'x'.repeat(4096) } });
    const server = await serve((req, res) => {
      if (req.url.includes('chunked')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(big.slice(0, 2000));
        res.end(big.slice(2000));
        return;
      }
      answer(res, 200, big);
    });
    const client = new VaultClient({ address: server.address, maxResponseBytes: 1024 });
    for (const path of ['declared', 'chunked']) {
      const err = await rejectionOf(client.request('GET', path));
      expect(err, path).to.be.instanceOf(ResponseTooLargeError);
      expect((err as ResponseTooLargeError).limitBytes).to.equal(1024);
      expect((err as Error).message).to.equal(`GET ${server.address}/v1/${path}: the answer exceeds the 1024-byte limit`);
    }
    expect(await new VaultClient({ address: server.address, maxResponseBytes: big.length }).request('GET', 'declared')).to.deep.equal(JSON.parse(big));
  });

  it('gives up after its timeout', async () => {
    const server = await serve(() => undefined); // never answers
    const err = await rejectionOf(new VaultClient({ address: server.address, timeoutMs: 200 }).request('GET', 'sys/health'));
    expect(err).to.be.instanceOf(TransportError);
    expect((err as TransportError).failure).to.equal('timeout');
    expect((err as Error).message).to.equal(`GET ${server.address}/v1/sys/health: no answer within 200 ms`);
  });

  it('reports a refused connection with its reason and code', async () => {
    const port = await closedLoopbackPort();
    const err = await rejectionOf(new VaultClient({ address: `http://127.0.0.1:${port}` }).request('GET', 'sys/seal-status'));
    expect(err).to.be.instanceOf(TransportError);
    expect((err as TransportError).code).to.equal('ECONNREFUSED');
    expect((err as Error).message).to.equal(`GET http://127.0.0.1:${port}/v1/sys/seal-status: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('refuses an address that is not an http(s) URL without sending anything', async () => {
    for (const address of ['not a url', 'ftp://127.0.0.1:1']) {
      const err = await rejectionOf(new VaultClient({ address }).request('GET', 'sys/health'));
      expect(err, address).to.be.instanceOf(TransportError);
      expect((err as TransportError).failure).to.equal('address');
    }
  });

  it('unwraps with the wrapping token as X-Vault-Token and no other token', async () => {
    const server = await serve((_req, res) => answer(res, 200, { data: { secret: 'inside' } }));
    const client = new VaultClient({ address: server.address, token: 'caller-token', wrapTtl: '1m' });
    expect(await client.unwrap('wrapping-token')).to.deep.equal({ data: { secret: 'inside' } });
    const seen = server.seen[0]!;
    expect(`${seen.method} ${seen.url}`).to.equal('POST /v1/sys/wrapping/unwrap');
    expect(seen.headers['x-vault-token']).to.equal('wrapping-token');
    expect(seen.headers).to.not.have.property('x-vault-wrap-ttl');
  });

  it('send answers any status with headers and text, and sends a string body as it is', async () => {
    const server = await serve((_req, res) => res.writeHead(418, { 'x-answer': 'yes' }).end('not json'));
    const res = await new VaultClient({ address: server.address }).send('POST', '/v1/sys/x', { body: '{broken', headers: { 'Content-Type': 'text/plain' } });
    expect([res.status, res.headers['x-answer'], res.text, res.json]).to.deep.equal([418, 'yes', 'not json', undefined]);
    expect(server.seen[0]!.url).to.equal('/v1/sys/x');
    expect(server.seen[0]!.body).to.equal('{broken');
    expect(server.seen[0]!.headers['content-type']).to.equal('text/plain');
  });
});
