import { expect } from 'chai';
import fc from 'fast-check';
import { HttpFramingTracker } from '../../../server/http/http-framing-tracker.js';
import { createListMethodTracker } from '../../../server/http/list-method-shim.js';

/** One request of a generated pipeline: its bytes as sent, and as the parser must see them. */
interface Message {
  readonly sent: string;
  readonly expected: string;
}

/** Feeds `input` to a fresh LIST tracker cut at `cuts` (offsets), and returns the joined output. */
function feed(input: Buffer, cuts: readonly number[] = []): { output: Buffer; tracker: HttpFramingTracker } {
  const tracker = createListMethodTracker();
  const offsets = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let from = 0;
  for (const at of [...offsets, input.length]) {
    parts.push(tracker.push(input.subarray(from, at)));
    from = at;
  }
  return { output: Buffer.concat(parts), tracker };
}

/** Text that looks like framing: request lines, CRLFs, partial lines, chunk sizes. */
const trickyText = fc
  .array(
    fc.oneof(
      fc.constantFrom('LIST /v1/x HTTP/1.1\r\n', 'DELETE /v1/secret/data/k HTTP/1.1\r\n', '\r\n', '\r\n\r\n', 'LIS', 'T /v1/y HTTP/1.1', '0\r\n\r\n'),
      fc.constantFrom('Content-Length: 5\r\n', 'Transfer-Encoding: chunked\r\n', 'HTTP/1.1', '\r', '\n', 'a;b=c\r\n', 'LIST '),
      fc.string({ maxLength: 12 }),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));

const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'LIST');
const target = fc.constantFrom('/v1/secret/data/a', '/v1/sys/health', '/v1/kv/', '/v1/x?y=1', '/');

function chunked(body: Buffer, sizes: readonly number[], extension: string, trailers: string): string {
  let out = '';
  let pos = 0;
  for (const size of sizes) {
    if (pos >= body.length) break;
    const piece = body.subarray(pos, pos + Math.max(1, size));
    out += `${piece.length.toString(16)}${extension}\r\n${piece.toString('latin1')}\r\n`;
    pos += piece.length;
  }
  if (pos < body.length) out += `${(body.length - pos).toString(16)}\r\n${body.subarray(pos).toString('latin1')}\r\n`;
  return `${out}0${extension}\r\n${trailers}\r\n`;
}

const message: fc.Arbitrary<Message> = fc
  .record({
    method,
    target,
    version: fc.constantFrom('1.1', '1.1', '1.0'),
    framing: fc.constantFrom('none', 'length', 'chunked'),
    body: trickyText,
    sizes: fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 6 }),
    extension: fc.constantFrom('', ';ext', ';a=b', ';q="x;y"'),
    trailers: fc.constantFrom('', 'X-Trailer: LIST /v1/x HTTP/1.1\r\n'),
    expect: fc.boolean(),
    leadingCrlf: fc.constantFrom('', '', '\r\n'),
  })
  .map((m) => {
    const body = Buffer.from(m.body, 'latin1');
    const isChunked = m.framing === 'chunked' && m.version === '1.1';
    let headers = 'Host: 127.0.0.1\r\nX-Vault-Token: t\r\n';
    if (m.expect) headers += 'Expect: 100-continue\r\n';
    let payload = '';
    if (isChunked) {
      headers += 'Transfer-Encoding: chunked\r\n';
      payload = chunked(body, m.sizes, m.extension, m.trailers);
    } else if (m.framing !== 'none') {
      headers += `Content-Length: ${body.length}\r\n`;
      payload = body.toString('latin1');
    }
    const line = `${m.method} ${m.target} HTTP/${m.version}`;
    const sep = m.target.includes('?') ? '&' : '?';
    const rewritten = m.method === 'LIST' ? `GET ${m.target}${sep}list=true HTTP/${m.version}` : line;
    return {
      sent: `${m.leadingCrlf}${line}\r\n${headers}\r\n${payload}`,
      expected: `${m.leadingCrlf}${rewritten}\r\n${headers}\r\n${payload}`,
    };
  });

const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe('HttpFramingTracker', () => {
  it('rewrites exactly the LIST request lines of any pipeline, however the bytes are split', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 6 }), cuts, (messages, at) => {
        const input = Buffer.from(messages.map((m) => m.sent).join(''), 'latin1');
        const { output, tracker } = feed(input, at);
        expect(tracker.stoppedBecause).to.equal(undefined);
        expect(output.toString('latin1')).to.equal(messages.map((m) => m.expected).join(''));
        expect(tracker.requestCount).to.equal(messages.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('gives the same output for any bytes whether fed whole or in pieces', () => {
    const bytes = fc.array(fc.oneof(trickyText, fc.constantFrom('GET / HTTP/1.1\r\n', 'Content-Length: 3\r\n', '\r\n')), { maxLength: 10 });
    fc.assert(
      fc.property(bytes, cuts, (parts, at) => {
        const input = Buffer.from(parts.join(''), 'latin1');
        expect(feed(input, at).output.equals(feed(input).output)).to.equal(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary bytes, and only ever changes LIST request lines', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), trickyText, cuts, (noise, text, at) => {
        const input = Buffer.concat([Buffer.from(text, 'latin1'), Buffer.from(noise), Buffer.from('LIST /v1/a HTTP/1.1\r\n\r\n')]);
        const { output, tracker } = feed(input, at);
        if (tracker.requestCount === 0 || output.length === input.length) expect(output.equals(input)).to.equal(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves a request body byte-identical even when it is made of LIST request lines', () => {
    const body = 'x\r\nLIST /v1/a HTTP/1.1\r\n\r\nLIST /v1/b HTTP/1.1\r\nHost: h\r\n\r\n';
    const input = Buffer.from(`POST /v1/secret/data/p HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}LIST /v1/c HTTP/1.1\r\n\r\n`);
    const { output, tracker } = feed(input);
    expect(output.toString()).to.equal(`POST /v1/secret/data/p HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}GET /v1/c?list=true HTTP/1.1\r\n\r\n`);
    expect(tracker.requestCount).to.equal(2);
  });

  it('rewrites a pipelined LIST that directly follows another request in the same chunk', () => {
    const { output } = feed(Buffer.from('GET /v1/a HTTP/1.1\r\n\r\nLIST /v1/b/ HTTP/1.1\r\n\r\nLIST /v1/c?x=1 HTTP/1.0\r\n\r\n'));
    expect(output.toString()).to.equal('GET /v1/a HTTP/1.1\r\n\r\nGET /v1/b/?list=true HTTP/1.1\r\n\r\nGET /v1/c?x=1&list=true HTTP/1.0\r\n\r\n');
  });

  it('holds back a partial LIST line and releases a non-LIST line at once', () => {
    const tracker = createListMethodTracker();
    expect(tracker.push(Buffer.from('LI')).length).to.equal(0);
    expect(tracker.push(Buffer.from('ST /v1/a HT')).length).to.equal(0);
    expect(tracker.push(Buffer.from('TP/1.1\r\n')).toString()).to.equal('GET /v1/a?list=true HTTP/1.1\r\n');
    expect(tracker.push(Buffer.from('\r\nLIT')).toString()).to.equal('\r\nLIT');
  });

  it('hands back a chunk it changes nothing in as the same buffer, and a new one where it rewrote a line', () => {
    const tracker = createListMethodTracker();
    const plain = Buffer.from('POST /v1/kv/a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}GET /v1/kv/a HTTP/1.1\r\n\r\n');
    expect(tracker.push(plain)).to.equal(plain);
    const listing = Buffer.from('GET /v1/kv/a HTTP/1.1\r\n\r\nLIST /v1/kv/ HTTP/1.1\r\n\r\n');
    const out = tracker.push(listing);
    expect(out).to.not.equal(listing);
    expect(out.toString()).to.equal('GET /v1/kv/a HTTP/1.1\r\n\r\nGET /v1/kv/?list=true HTTP/1.1\r\n\r\n');
    // A line held back from an earlier chunk goes out in front of this one: not this chunk alone.
    expect(tracker.push(Buffer.from('GET /v1/kv/b HTTP/1.1\r\n\r\nLI')).toString()).to.equal('GET /v1/kv/b HTTP/1.1\r\n\r\n');
    const rest = Buffer.from('NK /v1/x HTTP/1.1\r\n\r\n');
    const joined = tracker.push(rest);
    expect(joined).to.not.equal(rest);
    expect(joined.toString()).to.equal('LINK /v1/x HTTP/1.1\r\n\r\n');
  });
  describe('stops rewriting and passes every later byte unchanged on ambiguous framing', () => {
    const cases: Record<string, string> = {
      'Content-Length and Transfer-Encoding': 'POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n',
      'Transfer-Encoding and Content-Length': 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n',
      'a duplicate Content-Length': 'POST / HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\n',
      'a Content-Length list': 'POST / HTTP/1.1\r\nContent-Length: 4, 4\r\n\r\n',
      'a signed Content-Length': 'POST / HTTP/1.1\r\nContent-Length: +4\r\n\r\n',
      'a non-numeric Content-Length': 'POST / HTTP/1.1\r\nContent-Length: four\r\n\r\n',
      'a huge Content-Length': 'POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n',
      'a transfer coding other than chunked': 'POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
      'a duplicate Transfer-Encoding': 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n',
      'chunked on HTTP/1.0': 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n',
      'a bad chunk size': 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'a chunk size with spaces': 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4 \r\nabcd\r\n0\r\n\r\n',
      'an overlong chunk size': 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n100000000000000\r\n',
      'chunk data not followed by CRLF': 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n0\r\n\r\n',
      'a bare LF line ending': 'GET / HTTP/1.1\nHost: h\n\n',
      'a bare CR inside a header': 'GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n',
      'a folded header': 'GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n',
      'a header without a colon': 'GET / HTTP/1.1\r\nX-A\r\n\r\n',
      'an upgrade': 'GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n',
      CONNECT: 'CONNECT 127.0.0.1:1 HTTP/1.1\r\n\r\n',
      'HTTP/2.0': 'GET / HTTP/2.0\r\n\r\n',
      'a malformed LIST line': 'LIST  /v1/a HTTP/1.1\r\n\r\n',
      'an oversized header section': `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`,
      'an oversized LIST line': `LIST /${'a'.repeat(70 * 1024)} HTTP/1.1\r\n\r\n`,
    };
    const after = 'LIST /v1/after HTTP/1.1\r\n\r\n';
    for (const [name, head] of Object.entries(cases)) {
      it(`on ${name}`, () => {
        fc.assert(
          fc.property(cuts, (at) => {
            const prefix = 'LIST /v1/before HTTP/1.1\r\n\r\n';
            const { output, tracker } = feed(Buffer.from(prefix + head + after, 'latin1'), at);
            expect(tracker.stoppedBecause).to.be.a('string');
            expect(output.toString('latin1')).to.equal('GET /v1/before?list=true HTTP/1.1\r\n\r\n' + head + after);
          }),
          { numRuns: 50 },
        );
      });
    }
  });

  it('accepts chunk extensions, leading zeros, upper-case hex and trailers', () => {
    const body = 'POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n000A;name="v;x";b\r\n0123456789\r\n0;end\r\nX-T: 1\r\nX-U: LIST / HTTP/1.1\r\n\r\n';
    const { output, tracker } = feed(Buffer.from(body + 'LIST /v1/z HTTP/1.1\r\n\r\n'));
    expect(tracker.stoppedBecause).to.equal(undefined);
    expect(output.toString()).to.equal(body + 'GET /v1/z?list=true HTTP/1.1\r\n\r\n');
  });
});
