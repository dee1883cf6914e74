/**
 * A tiny in-process stand-in for Ferry's HTTP API (policies, mounts, replication status) so protocol tests
 * can drive apply/read/import without the real server. It records requests for assertions.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubFerryApi {
  address: string;
  requests: Array<{ method: string; path: string; token: string | undefined; body: any }>;
  policies: Map<string, string>;
  /** When true, creating a non-local mount answers like a replication secondary does. */
  isSecondary: boolean;
  /** Tokens accepted for authenticated calls. */
  validTokens: Set<string>;
  /** userpass users (mount `userpass`) by name → password; a login adds a fresh token to validTokens. */
  userpassUsers: Map<string, string>;
  close(): Promise<void>;
}

export async function startStubFerryApi(): Promise<StubFerryApi> {
  const stub: Omit<StubFerryApi, 'address' | 'close'> = {
    requests: [],
    policies: new Map(),
    isSecondary: false,
    validTokens: new Set(['ROOT']),
    userpassUsers: new Map(),
  };
  let logins = 0;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname.replace(/^\/v1\//, '');
      const token = req.headers['x-vault-token'] as string | undefined;
      const body = raw === '' ? null : JSON.parse(raw);
      stub.requests.push({ method: req.method ?? '', path, token, body });
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(payload === undefined ? '' : JSON.stringify(payload));
      };
      if (path === 'sys/replication/status') return send(200, { data: { mode: 'disabled' } });
      const login = /^auth\/userpass\/login\/(.+)$/.exec(path);
      if (login && req.method === 'POST') {
        const expected = stub.userpassUsers.get(decodeURIComponent(login[1] as string));
        if (expected === undefined || body?.password !== expected) return send(400, { errors: ['invalid username or password'] });
        const issued = `login-${++logins}`;
        stub.validTokens.add(issued);
        return send(200, { auth: { client_token: issued } });
      }
      if (token === undefined || !stub.validTokens.has(token)) return send(403, { errors: ['permission denied'] });
      const policy = /^sys\/policies\/acl\/(.+)$/.exec(path);
      if (policy) {
        const name = decodeURIComponent(policy[1] as string);
        if (req.method === 'GET') {
          const text = stub.policies.get(name);
          return text === undefined ? send(404, { errors: [] }) : send(200, { data: { name, policy: text } });
        }
        if (req.method === 'DELETE') {
          stub.policies.delete(name);
          return send(204, undefined);
        }
        stub.policies.set(name, String(body?.policy ?? ''));
        return send(204, undefined);
      }
      if (/^sys\/mounts\/.+/.test(path) && (req.method === 'POST' || req.method === 'PUT')) {
        if (stub.isSecondary && body?.local !== true) return send(400, { errors: ['cannot add a non-local mount to a replication secondary'] });
        return send(204, undefined);
      }
      return send(404, { errors: [] });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(stub, {
    address: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}
