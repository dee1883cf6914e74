/**
 * Mutated requests for the HTTP fuzzer: valid request templates of common endpoints, and
 * mutations of their bodies (wrong types, malformed JSON, deep nesting, huge bodies, invalid
 * UTF-8), headers (duplicate Content-Length, bad Transfer-Encoding, huge headers), paths (`..`,
 * `%00`, `//`, very long) and methods (LIST with a body, lowercase, unknown).
 */
import type { FuzzRandom } from './fuzz-random.js';
import { DOMAIN, NAMES, ODD_METHODS, ODD_PATHS, TEMPLATES, WRONG_VALUES } from './fuzz-vocabulary.js';

/** One request as bytes on the wire, with a short description that holds no secret. */
export interface FuzzRequest {
  readonly description: string;
  readonly bytes: Buffer;
}

/** Swaps one or two fields of `body` for edge values of their domain. */
function mutateSemantics(rnd: FuzzRandom, body: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...body };
  const keys = Object.keys(copy);
  for (let n = 1 + rnd.int(2); n > 0 && keys.length > 0; n--) {
    const key = rnd.pick(keys);
    const domain = DOMAIN[key];
    copy[key] = domain !== undefined ? rnd.pick(domain) : rnd.pick(WRONG_VALUES);
  }
  return copy;
}

/** Mutates one value somewhere in `value` (recursing into objects and arrays). */
function mutateValue(rnd: FuzzRandom, value: unknown, depth = 0): unknown {
  if (value !== null && typeof value === 'object' && depth < 4 && rnd.chance(0.5)) {
    if (Array.isArray(value)) {
      if (value.length === 0) return [rnd.pick(WRONG_VALUES)];
      const copy = [...value];
      const i = rnd.int(copy.length);
      copy[i] = mutateValue(rnd, copy[i], depth + 1);
      return copy;
    }
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(copy);
    const roll = rnd.int(4);
    if (keys.length === 0 || roll === 0) copy[rnd.pick(['unknown_field', '__proto__', 'constructor', ''])] = rnd.pick(WRONG_VALUES);
    else if (roll === 1) delete copy[rnd.pick(keys)];
    else {
      const key = rnd.pick(keys);
      copy[key] = mutateValue(rnd, copy[key], depth + 1);
    }
    return copy;
  }
  return rnd.pick(WRONG_VALUES);
}

function deepNesting(rnd: FuzzRandom): string {
  const depth = rnd.pick([50, 299, 300, 301, 1000, 100_000]);
  if (rnd.chance(0.5)) return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  return '{"data":' + '['.repeat(depth) + ']'.repeat(depth) + '}';
}

function malformedJson(rnd: FuzzRandom, valid: string): Buffer {
  switch (rnd.int(10)) {
    case 0:
      return Buffer.from(valid.slice(0, rnd.int(valid.length)));
    case 1:
      return Buffer.from(`${valid}garbage`);
    case 2:
      return Buffer.from(valid.replace(/"/g, "'"));
    case 3:
      return Buffer.from(
        rnd.pick(['NaN', '[1,2', '{"a":1,}', '{"a" 1}', '{"a":01}', '/* c */{}', '{"a":"\\x41"}', '{"a":"\\u12"}', '\ufeff{}', '{"a":1}{"b":2}']),
      );
    case 4:
      return Buffer.from(rnd.pick(['[]', '"string"', '42', 'true', '[{"a":1}]', '{"a":1,"a":2}']));
    case 5:
      return Buffer.concat([
        Buffer.from('{"data":{"a":"'),
        Buffer.from(rnd.pick([[0xff, 0xfe], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]])),
        Buffer.from('"}}'),
      ]);
    case 6:
      return Buffer.from(deepNesting(rnd));
    case 7:
      return Buffer.concat([Buffer.from(valid), Buffer.from([0xff, 0x00, 0xc0])]);
    case 8:
      return Buffer.from('{"a":"' + '\\\\'.repeat(rnd.int(2000)) + '"}');
    default:
      return Buffer.from(JSON.stringify({ data: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])) }));
  }
}

/**
 * A chunked body with mutations that never ask the server to wait for bytes that will not come
 * (sizes only shrink or turn invalid): odd sizes and extensions, trailers, then pipelined bytes.
 */
function chunkedFraming(rnd: FuzzRandom, payload: Buffer): Buffer {
  let out = '';
  for (let pos = 0; pos < payload.length;) {
    const chunk = payload.subarray(pos, pos + 1 + rnd.int(8));
    pos += chunk.length;
    const size = rnd.chance(0.1) ? rnd.pick(['zz', '-1', ' 1', '', '0x1', 'f'.repeat(20)]) : (chunk.length - (rnd.chance(0.1) ? 1 : 0)).toString(16);
    const extension = rnd.pick(['', '', ';a=b', ';q="x\\"y"', `;${'e'.repeat(100)}`, ';\r', ';a=b;c']);
    out += `${size}${extension}\r\n${chunk.toString('latin1')}\r\n`;
  }
  out += `0\r\n${rnd.pick(['', 'X-T: v\r\n', 'bad trailer\r\n', 'Content-Length: 5\r\n', ' folded\r\n'])}\r\n`;
  out += rnd.pick([
    '',
    'LIST /v1/kv HTTP/1.1\r\nHost: h\r\n\r\n',
    'LIST',
    '\r\n\r\n',
    'GET /v1/sys/health HTTP/1.0\r\n\r\n',
    'LIST /v1/sys/policies/acl HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  ]);
  return Buffer.from(out, 'latin1');
}

type Header = [string, string];

/** Serializes a request; `contentLength` false leaves the header out (the headers list may hold its own). */
function serialize(method: string, target: string, headers: readonly Header[], body: Buffer | undefined, contentLength = true): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', ...headers.map(([k, v]) => `${k}: ${v}`)];
  if (body !== undefined && contentLength) lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body ?? Buffer.alloc(0)]);
}

function preview(bytes: Buffer): string {
  const text = JSON.stringify(bytes.subarray(0, 160).toString('latin1'));
  return bytes.length > 160 ? `${text}… (${bytes.length} bytes)` : text;
}

/** Tokens the fuzzer sends (in headers only; never shown in a description). */
export interface FuzzTokens {
  readonly root: string;
  /** A token with only the default policy. */
  readonly limited: string;
}

/** Generates one mutated request. */
export function generateFuzzRequest(rnd: FuzzRandom, tokens: FuzzTokens): FuzzRequest {
  const template = rnd.pick(TEMPLATES);
  let method = template.method;
  let path = `/v1/${template.path}`;
  // Mostly root, so requests reach the handlers; sometimes a default-policy token or none, for the ACL paths.
  const roll = rnd.int(10);
  const token = roll < 8 ? tokens.root : roll < 9 ? tokens.limited : '';
  const headers: Header[] = [['X-Vault-Token', token], ...Object.entries(template.headers ?? {})];
  if (template.body !== undefined || rnd.chance(0.2)) headers.push(['Content-Type', 'application/json']);
  const valid = JSON.stringify(template.body ?? {});
  let body: Buffer | undefined = template.body === undefined ? undefined : Buffer.from(valid);
  let contentLength = true;
  const notes: string[] = [];
  const kind = rnd.int(100);
  if (kind < 20) {
    body = Buffer.from(JSON.stringify(mutateValue(rnd, template.body ?? {})) ?? 'null');
    notes.push('wrong types');
  } else if (kind < 35) {
    body = Buffer.from(JSON.stringify(mutateSemantics(rnd, template.body ?? {})));
    if (rnd.chance(0.4)) path = path.replace(/fz-(mount|auth|policy|key|user)\b/, () => rnd.pick(NAMES));
    notes.push('edge values');
  } else if (kind < 55) {
    body = malformedJson(rnd, valid);
    notes.push('malformed JSON');
  } else if (kind < 68) {
    const odd = rnd.pick(ODD_PATHS);
    path = odd.startsWith('?') || odd === '' ? `/v1/${template.path}${odd}` : `/v1/${odd}`;
    if (rnd.chance(0.2)) path = `/${odd}`;
    notes.push('odd path');
  } else if (kind < 78) {
    method = rnd.pick(ODD_METHODS);
    if (method.toUpperCase() === 'LIST' && body === undefined) body = Buffer.from(valid);
    notes.push('odd method');
  } else if (kind < 95) {
    notes.push('odd headers');
    body ??= Buffer.from(valid);
    switch (rnd.int(16)) {
      case 0:
        headers.push(['Content-Length', String(body.length)], ['Content-Length', String(body.length + 1)]);
        contentLength = false;
        break;
      case 1:
        headers.push(['Content-Length', String(body.length)], ['Content-Length', String(body.length)]);
        contentLength = false;
        break;
      case 2:
        headers.push(['Content-Length', String(body.length)], ['Transfer-Encoding', 'chunked']);
        contentLength = false;
        break;
      case 3:
        headers.push(['Transfer-Encoding', rnd.pick(['gzip', 'chunked, gzip', 'identity', 'xchunked', 'chunked'])]);
        contentLength = false;
        if (rnd.chance(0.5)) body = Buffer.from(`zz\r\n${valid}\r\n0\r\n\r\n`);
        else body = Buffer.from(`${body.length.toString(16)}\r\n${valid}\r\n0\r\n\r\n`);
        break;
      case 4:
        headers.push(['X-Big', 'a'.repeat(rnd.pick([8_000, 17_000, 100_000]))]);
        break;
      case 5:
        for (let i = 0; i < rnd.pick([100, 2000]); i++) headers.push([`X-H${i}`, 'v']);
        break;
      case 6:
        headers[0] = ['X-Vault-Token', rnd.pick(['', ' ', 'x'.repeat(20_000), '\u00ff\u00fe', 'hvs.', 'a b', 'root'])];
        break;
      case 7:
        headers.push(['X-Vault-Wrap-TTL', rnd.pick(['abc', '-1', '0', '99999999999999h', '1e10', '5m5m', '\u00e9'])]);
        break;
      case 8:
        headers.push(['Content-Encoding', rnd.pick(['gzip', 'deflate', 'br', 'identity', 'foo'])]);
        break;
      case 9:
        headers.push([
          'Content-Type',
          rnd.pick([
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/json; charset=latin1',
            'application/json; charset=utf-16',
          ]),
        ]);
        break;
      case 10:
        headers.push(['Expect', rnd.pick(['100-continue', 'garbage'])]);
        break;
      case 11:
        headers.push(['Authorization', rnd.pick(['Bearer ', 'Bearer x', 'Basic Zm9vOmJhcg==', 'Bearer ' + 'y'.repeat(5000)])]);
        headers.shift();
        break;
      case 12:
        headers.push(
          ['X-Vault-Request', 'true'],
          ['X-Vault-Namespace', rnd.pick(['ns1/', '../', '\u00e9'])],
          ['X-Vault-Index', 'garbage'],
          ['X-Vault-Forward', 'active-node'],
        );
        break;
      case 13:
        headers.push(['Content-Length', rnd.pick(['-1', 'abc', '1e3', '99999999999999999999', '+2', '2, 2', '0x2'])]);
        contentLength = false;
        break;
      case 14:
        headers.push(['Content-Length', String(40 * 1024 * 1024)]);
        contentLength = false;
        notes.push('declared huge body');
        break;
      default:
        headers.push(['X-Odd\u00ff', 'v\u00e9'], ['Transfer-Encoding', '']);
    }
  } else if (kind < 98) {
    notes.push('chunk framing');
    body = chunkedFraming(rnd, Buffer.from(valid));
    headers.push(['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']);
    contentLength = false;
  } else {
    notes.push('huge body');
    body = Buffer.concat([Buffer.from('{"data":{"a":"'), Buffer.alloc(33 * 1024 * 1024, 0x61), Buffer.from('"}}')]);
  }
  const bytes = serialize(method, path, headers, body, contentLength);
  const shownHeaders = headers.map(([k, v]) =>
    /token|authorization/i.test(k) ? `${k}: <redacted>` : `${k}: ${v.length > 40 ? `${v.slice(0, 40)}…(${v.length})` : v}`,
  );
  const shownPath = path.length > 120 ? `${path.slice(0, 120)}…(${path.length})` : path;
  const description = `[${notes.join(', ')}] ${method} ${shownPath} {${shownHeaders.join('; ')}} body=${body === undefined ? 'none' : preview(body)}`;
  return { description, bytes };
}
