import { expect } from 'chai';
import fc from 'fast-check';
import { RawHttpConnection, type RawResponse } from '../helpers/raw-http-connection.js';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';

/** Issue #10, class 1: HTTP framing and the LIST translation. */
describe('request smuggling through the LIST translation (issue #10)', () => {
  let server: ServerHandle;
  const open: RawHttpConnection[] = [];

  async function connection(): Promise<RawHttpConnection> {
    const c = await RawHttpConnection.open(server.port);
    open.push(c);
    return c;
  }

  function json(response: RawResponse): any {
    return JSON.parse(response.body.toString('utf8'));
  }

  before(async () => {
    server = await startDevServer();
    const mounted = await server.request('POST', 'sys/mounts/kv', { body: { type: 'kv', options: { version: '1' } } });
    expect(mounted.status).to.equal(204);
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  after(async () => {
    await server?.stop();
  });

  it('does not let an unauthenticated POST body turn the next client’s GET into a DELETE of its key', async () => {
    const written = await server.request('POST', 'secret/data/victim', { body: { data: { v: 'keep-me' } } });
    expect(written.status).to.equal(200);
    // The attack as found: every rewritten LIST line grew by 9 bytes, so the parser ended the
    // body early and the body's tail (a DELETE line and an open header) prefixed the next request.
    const tailStart = 'DELETE /v1/secret/metadata/victim HTTP/1.1\r\nX-Smuggled: ';
    const lines = Math.ceil(tailStart.length / 9);
    const tail = tailStart + 'a'.repeat(lines * 9 - tailStart.length);
    const body = '{}\r\n' + 'LIST /v1/secret/metadata HTTP/1.1\r\n'.repeat(lines) + tail;
    const c = await connection();
    await c.write(
      `POST /v1/sys/mounts/evil HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    const attacker = await c.nextResponse();
    expect(attacker.status).to.be.within(400, 499);
    // The next client on the same keep-alive connection (as behind a pooling proxy).
    await c.write(`GET /v1/secret/data/victim HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Vault-Token: ${server.rootToken}\r\n\r\n`);
    const victim = await c.nextResponse();
    expect(victim.status).to.equal(200);
    expect(json(victim).data.data).to.deep.equal({ v: 'keep-me' });
    expect(await c.drain(200)).to.deep.equal([]);
    const after = await server.request('GET', 'secret/data/victim');
    expect(after.status).to.equal(200);
    expect(after.body.data.data).to.deep.equal({ v: 'keep-me' });
  });

  it('answers a LIST pipelined directly after a request with a body, in order', async () => {
    const c = await connection();
    const put = '{"v":"1"}';
    await c.write(
      `PUT /v1/kv/piped/a HTTP/1.1\r\nHost: h\r\nX-Vault-Token: ${server.rootToken}\r\nContent-Length: ${put.length}\r\n\r\n${put}` +
        `LIST /v1/kv/fixed-for-list HTTP/1.1\r\nHost: h\r\nX-Vault-Token: ${server.rootToken}\r\n\r\n` +
        `LIST /v1/sys/policies/acl HTTP/1.1\r\nHost: h\r\nX-Vault-Token: ${server.rootToken}\r\n\r\n`,
    );
    expect((await c.nextResponse()).status).to.equal(204);
    expect((await c.nextResponse()).status).to.equal(404);
    const policies = await c.nextResponse();
    expect(policies.status).to.equal(200);
    expect(json(policies).data.keys).to.include('default');
    await c.write(`LIST /v1/kv/piped HTTP/1.1\r\nHost: h\r\nX-Vault-Token: ${server.rootToken}\r\n\r\n`);
    const listed = await c.nextResponse();
    expect(listed.status).to.equal(200);
    expect(json(listed).data.keys).to.deep.equal(['a']);
  });

  it('translates a LIST after a request sent with Expect: 100-continue or a chunked body, and a LIST over HTTP/1.0', async () => {
    // Pipelined requests run concurrently, so the LISTs look at a key written beforehand.
    expect((await server.request('PUT', 'kv/expect/a', { body: { v: 'a' } })).status).to.equal(204);
    const c = await connection();
    const token = `X-Vault-Token: ${server.rootToken}\r\n`;
    const body = '{"v":"LIST /v1/kv HTTP/1.1"}';
    await c.write(`PUT /v1/kv/expect/b HTTP/1.1\r\nHost: h\r\n${token}Expect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`);
    await c.write(`${body}LIST /v1/kv/expect HTTP/1.1\r\nHost: h\r\n${token}\r\n`);
    expect((await c.nextResponse()).status).to.equal(204);
    expect(json(await c.nextResponse()).data.keys).to.include('a');
    // Chunks with an extension and a trailer; raw CRLFs between JSON tokens.
    const chunks = ['{"v', '":\r\n"LIST"}'].map((piece) => `${piece.length.toString(16)};x=y\r\n${piece}\r\n`).join('');
    await c.write(`PUT /v1/kv/expect/c HTTP/1.1\r\nHost: h\r\n${token}Transfer-Encoding: chunked\r\n\r\n${chunks}0\r\nX-T: 1\r\n\r\n`);
    await c.write(`LIST /v1/kv/expect HTTP/1.1\r\nHost: h\r\n${token}\r\n`);
    expect((await c.nextResponse()).status).to.equal(204);
    expect(json(await c.nextResponse()).data.keys).to.include('a');
    expect(await c.drain(50)).to.deep.equal([]);
    expect((await server.request('GET', 'kv/expect/b')).body.data).to.deep.equal({ v: 'LIST /v1/kv HTTP/1.1' });
    expect((await server.request('GET', 'kv/expect/c')).body.data).to.deep.equal({ v: 'LIST' });
    const old = await connection();
    await old.write(`LIST /v1/kv/expect HTTP/1.0\r\n${token}\r\n`);
    expect(json(await old.nextResponse()).data.keys).to.deep.equal(['a', 'b', 'c']);
  });

  it('refuses ambiguous framing (Content-Length with Transfer-Encoding) without running the hidden request', async () => {
    await server.request('PUT', 'kv/ambiguous/keep', { body: { v: 'x' } });
    const c = await connection();
    const hidden = `DELETE /v1/kv/ambiguous/keep HTTP/1.1\r\nHost: h\r\nX-Vault-Token: ${server.rootToken}\r\n\r\n`;
    const chunked = `0\r\n\r\n${hidden}`;
    await c.write(`POST /v1/kv/ambiguous/other HTTP/1.1\r\nHost: h\r\nContent-Length: ${chunked.length}\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`);
    const answer = await c.nextResponse();
    expect(answer.status).to.equal(400);
    expect(await c.drain(200)).to.deep.equal([]);
    expect((await server.request('GET', 'kv/ambiguous/keep')).status).to.equal(200);
  });

  describe('property: random pipelines on one connection', () => {
    /** JSON whose raw bytes hold CRLFs and request-line-looking text between and inside tokens. */
    const whitespace = fc.constantFrom('', '', ' ', '\r\n', '\r\n\r\n', '\n', '\t');
    const text = fc.oneof(
      fc.constantFrom('LIST /v1/x HTTP/1.1', 'GET /v1/sys/health HTTP/1.1', 'DELETE /v1/kv/fixed/a HTTP/1.1', '0', 'Content-Length: 9', 'LIS', ''),
      fc.string({ maxLength: 10 }),
    );
    const jsonBody = fc.tuple(fc.array(fc.tuple(text, text, whitespace, whitespace), { minLength: 1, maxLength: 4 }), whitespace).map(([fields, end]) => {
      const object = Object.fromEntries(fields.map(([k, v], i) => [`${k}#${i}`, v]));
      const raw = `{${fields.map(([k, v, ws1, ws2], i) => `${ws1}${JSON.stringify(`${k}#${i}`)}${ws2}:${ws1}${JSON.stringify(v)}${ws2}`).join(',')}}${end}`;
      return { raw, object };
    });
    /** Bytes that are not JSON but look like framing: CRLFs, request lines, partial lines. */
    const junkBody = fc
      .array(
        fc.constantFrom(
          'LIST /v1/kv/fixed HTTP/1.1\r\n',
          '\r\n',
          '\r\n\r\n',
          'DELETE /v1/kv/fixed/a HTTP/1.1\r\n',
          'LIS',
          'T /v1/x HTTP/1.1',
          'X-Vault-Token: t\r\n',
          '0\r\n\r\n',
        ),
        { minLength: 1, maxLength: 6 },
      )
      .map((parts) => `{${parts.join('')}`);
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('write' as const),
        method: fc.constantFrom('PUT', 'POST'),
        body: jsonBody,
        chunked: fc.boolean(),
        sizes: fc.array(fc.integer({ min: 1, max: 9 })),
      }),
      fc.record({
        kind: fc.constant('junk' as const),
        method: fc.constantFrom('PUT', 'POST'),
        body: junkBody,
        chunked: fc.boolean(),
        sizes: fc.array(fc.integer({ min: 1, max: 9 })),
        token: fc.boolean(),
      }),
      fc.record({ kind: fc.constantFrom('read' as const, 'list' as const, 'delete-missing' as const, 'read-missing' as const) }),
    );

    function frame(method: string, path: string, body: string | undefined, isChunked: boolean, sizes: readonly number[], token: boolean): string {
      const head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${token ? `X-Vault-Token: ${server.rootToken}\r\n` : ''}`;
      if (body === undefined) return `${head}\r\n`;
      const bytes = Buffer.from(body, 'utf8');
      if (!isChunked) return `${head}Content-Length: ${bytes.length}\r\n\r\n${body}`;
      let out = `${head}Transfer-Encoding: chunked\r\n\r\n`;
      let pos = 0;
      for (const size of [...sizes, bytes.length]) {
        if (pos >= bytes.length) break;
        const piece = bytes.subarray(pos, pos + size);
        out += `${piece.length.toString(16)};ext="LIST / HTTP/1.1"\r\n${piece.toString('latin1')}\r\n`;
        pos += piece.length;
      }
      return `${out}0\r\nX-Trailer: LIST /v1/x HTTP/1.1\r\n\r\n`;
    }

    before(async () => {
      expect((await server.request('PUT', 'kv/fixed/a', { body: { v: 'a' } })).status).to.equal(204);
      expect((await server.request('PUT', 'kv/fixed/b', { body: { v: 'b' } })).status).to.equal(204);
    });

    it('answers every request exactly once, in order, with bodies delivered byte for byte', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), async (ops, cuts) => {
          run++;
          const prefix = `/v1/kv/run${run}`;
          const expected: Array<(r: RawResponse) => void> = [];
          const writes = new Map<string, unknown>();
          let wire = '';
          ops.forEach((o, i) => {
            switch (o.kind) {
              case 'write':
                wire += frame(o.method, `${prefix}/w${i}`, o.body.raw, o.chunked, o.sizes, true);
                writes.set(`w${i}`, o.body.object);
                expected.push((r) => expect(r.status, `write ${i}`).to.equal(204));
                break;
              case 'junk':
                wire += frame(o.method, `${prefix}/junk${i}`, o.body, o.chunked, o.sizes, o.token);
                expected.push((r) => expect(r.status, `junk ${i}`).to.be.oneOf([400, 403]));
                break;
              case 'read':
                wire += frame('GET', '/v1/kv/fixed/a', undefined, false, [], true);
                expected.push((r) => expect(json(r).data, `read ${i}`).to.deep.equal({ v: 'a' }));
                break;
              case 'list':
                wire += frame('LIST', '/v1/kv/fixed', undefined, false, [], true);
                expected.push((r) => expect(json(r).data.keys, `list ${i}`).to.deep.equal(['a', 'b']));
                break;
              case 'delete-missing':
                wire += frame('DELETE', `${prefix}/missing${i}`, undefined, false, [], true);
                expected.push((r) => expect(r.status, `delete ${i}`).to.equal(204));
                break;
              case 'read-missing':
                wire += frame('GET', `${prefix}/missing${i}`, undefined, false, [], true);
                expected.push((r) => expect(r.status, `read-missing ${i}`).to.equal(404));
            }
          });
          const c = await connection();
          const bytes = Buffer.from(wire, 'latin1');
          const offsets = [...new Set(cuts.map((n) => n % bytes.length))].sort((a, b) => a - b);
          let from = 0;
          for (const at of [...offsets, bytes.length]) {
            if (at > from) await c.write(bytes.subarray(from, at));
            from = at;
            await new Promise((resolve) => setImmediate(resolve));
          }
          for (const check of expected) check(await c.nextResponse());
          expect(await c.drain(20)).to.deep.equal([]);
          // Then read everything back on the same connection: written bodies arrived byte for byte.
          for (const [key, object] of writes) {
            await c.write(frame('GET', `${prefix}/${key}`, undefined, false, [], true));
            const back = await c.nextResponse();
            expect(back.status).to.equal(200);
            expect(json(back).data).to.deep.equal(object);
          }
          await c.write(frame('LIST', prefix, undefined, false, [], true));
          const listed = await c.nextResponse();
          const keys = [...writes.keys()].sort();
          if (keys.length === 0) expect(listed.status).to.equal(404);
          else expect(json(listed).data.keys).to.deep.equal(keys);
          c.close();
        }),
        { numRuns: 40 },
      );
    });
  });
});
