import { expect } from 'chai';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { HttpExchange } from '../../../server/api-client/http-exchange.js';
import { exchangeHttp1 } from '../../../server/api-client/http1-exchange.js';
import { loadTlsTrust } from '../../../server/api-client/tls-trust.js';
import { ResponseTooLargeError, TransportError } from '../../../server/api-client/transport-error.js';

/** A loopback TCP server that records each request's bytes and answers with `answer` (raw HTTP, written piece by piece). */
async function rawServer(answer: (socket: Socket, request: string) => void): Promise<{ url: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((socket) => {
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(text)?.[1] ?? 0);
      if (text.length < end + 4 + length) return;
      requests.push(text);
      answer(socket, text);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

function exchange(url: string, over: Partial<HttpExchange> = {}): HttpExchange {
  return {
    method: 'GET',
    url: new URL(`${url}/v1/kv/x?list=true`),
    address: url,
    headers: { 'x-vault-token': 's.secret', accept: 'application/json' },
    body: undefined,
    tls: loadTlsTrust(undefined),
    timeoutMs: 5_000,
    maxResponseBytes: 1024,
    ...over,
  };
}

const servers: Server[] = [];
async function serve(answer: (socket: Socket, request: string) => void): Promise<{ url: string; requests: string[] }> {
  const s = await rawServer(answer);
  servers.push(s.server);
  return s;
}

/** Writes the pieces with a turn of the event loop between them, so the client sees them in separate reads. */
function writeSlowly(socket: Socket, pieces: string[], end = true): void {
  const next = (i: number) => {
    if (i === pieces.length) {
      if (end) socket.end();
      return;
    }
    socket.write(pieces[i] ?? '');
    setTimeout(() => next(i + 1), 5);
  };
  next(0);
}

describe('server/api-client/http1-exchange', () => {
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it('sends one HTTP/1.1 request with Host, Connection: close, the headers and the body, and reads a Content-Length answer', async () => {
    const { url, requests } = await serve((socket) =>
      writeSlowly(socket, ['HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\nX-A: 1\r\nx-a: 2\r\n\r\n{"a"', ':1234}'], false),
    );
    const answer = await exchangeHttp1(exchange(url, { method: 'POST', body: Buffer.from('{"k":"v"}'), headers: { 'Content-Type': 'application/json' } }));
    expect(answer.status).to.equal(200);
    expect(answer.body.toString()).to.equal('{"a":1234}');
    expect(answer.headers['content-type']).to.equal('application/json');
    expect(answer.headers['x-a']).to.equal('1, 2');
    const host = new URL(url).host;
    expect(requests[0]).to.equal(
      `POST /v1/kv/x?list=true HTTP/1.1\r\ncontent-type: application/json\r\nhost: ${host}\r\nconnection: close\r\ncontent-length: 9\r\n\r\n{"k":"v"}`,
    );
  });

  it('decodes a chunked answer split across reads, with chunk extensions and trailers', async () => {
    const { url } = await serve((socket) =>
      writeSlowly(
        socket,
        ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5', ';ext=1\r\nhel', 'lo\r\n6\r\n world\r', '\n0\r\nX-Trailer: t\r\n', '\r\n'],
        false,
      ),
    );
    const answer = await exchangeHttp1(exchange(url));
    expect(answer.body.toString()).to.equal('hello world');
  });

  it('reads to the close when the answer has no length, skips interim 1xx answers, and reads no body for 204', async () => {
    const close = await serve((socket) => writeSlowly(socket, ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.0 200 OK\r\n\r\nuntil ', 'the end']));
    const untilClose = await exchangeHttp1(exchange(close.url));
    expect([untilClose.status, untilClose.body.toString()]).to.deep.equal([200, 'until the end']);
    const empty = await serve((socket) => socket.write('HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n'));
    const noContent = await exchangeHttp1(exchange(empty.url));
    expect([noContent.status, noContent.body.length]).to.deep.equal([204, 0]);
  });

  it('refuses answers over the limit, declared or streamed, chunked or not', async () => {
    const declared = await serve((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n'));
    await expectRejection(exchangeHttp1(exchange(declared.url)), ResponseTooLargeError);
    const streamed = await serve((socket) => socket.end(`HTTP/1.1 200 OK\r\n\r\n${'x'.repeat(2000)}`));
    await expectRejection(exchangeHttp1(exchange(streamed.url)), ResponseTooLargeError);
    const chunked = await serve((socket) =>
      socket.end(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${'400\r\n' + 'y'.repeat(1024) + '\r\n'}1\r\nz\r\n0\r\n\r\n`),
    );
    await expectRejection(exchangeHttp1(exchange(chunked.url)), ResponseTooLargeError);
  });

  it('fails as a network error on a malformed or cut-off answer, never with a truncated body', async () => {
    const cases = [
      'HTTP/2 200\r\n\r\n',
      'HTTP/1.1 200 OK\r\nbad header line\r\n\r\n',
      'HTTP/1.1 200 OK\r\n folded: value\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n',
      'HTTP/1.1 200 OK\r\nContent-',
    ];
    for (const raw of cases) {
      const { url } = await serve((socket) => socket.end(raw));
      const err = await expectRejection(exchangeHttp1(exchange(url)), TransportError);
      expect(err.failure, raw).to.equal('network');
      expect(err.message).to.not.include('s.secret');
    }
  });

  it('times out on a server that never answers, and names the refused connection with its code', async () => {
    const { url } = await serve(() => {});
    const slow = await expectRejection(exchangeHttp1(exchange(url, { timeoutMs: 100 })), TransportError);
    expect(slow.failure).to.equal('timeout');
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = await expectRejection(exchangeHttp1(exchange(`http://127.0.0.1:${port}`)), TransportError);
    expect([refused.failure, refused.code]).to.deep.equal(['network', 'ECONNREFUSED']);
    expect(refused.message).to.equal(`GET http://127.0.0.1:${port}/v1/kv/x?list=true: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('refuses a header or method that would smuggle a line break, before connecting', async () => {
    const { url, requests } = await serve((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    await expectRejection(exchangeHttp1(exchange(url, { headers: { 'x-vault-token': 'a\r\nx-evil: 1' } })), TypeError);
    await expectRejection(exchangeHttp1(exchange(url, { headers: { 'bad name': 'v' } })), TypeError);
    await expectRejection(exchangeHttp1(exchange(url, { method: 'GET /x HTTP/1.1\r\n' })), TypeError);
    expect(requests).to.deep.equal([]);
  });

  it('talks to node:http servers, IPv6 loopback included, with HEAD answered without a body', async () => {
    const server = createHttpServer((req, res) => {
      const body = JSON.stringify({ method: req.method, url: req.url, host: req.headers.host, token: req.headers['x-vault-token'] === 's.secret' });
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/chunked')) res.end(body);
      else res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '::1', r));
    try {
      const url = `http://[::1]:${(server.address() as AddressInfo).port}`;
      const answer = await exchangeHttp1(exchange(url));
      expect(JSON.parse(answer.body.toString())).to.deep.equal({ method: 'GET', url: '/v1/kv/x?list=true', host: new URL(url).host, token: true });
      const head = await exchangeHttp1(exchange(url, { method: 'HEAD' }));
      expect([head.status, head.body.length]).to.deep.equal([200, 0]);
      const chunked = await exchangeHttp1(exchange(url, { url: new URL(`${url}/chunked`) }));
      expect(JSON.parse(chunked.body.toString())).to.include({ url: '/chunked' });
    } finally {
      server.close();
    }
  });
});

async function expectRejection<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(type);
    return err as T;
  }
  throw new Error(`expected a ${type.name}`);
}
