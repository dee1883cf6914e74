import { expect } from 'chai';
import { startSqliteServer, type ApiResponse, type RequestOptions, type ServerHandle } from '../helpers/test-cluster.js';

interface Exchange {
  readonly label: string;
  readonly res: ApiResponse;
  /** Secrets this response may legitimately return, and the JSON paths where they may appear. */
  readonly allowedFields: readonly string[][];
}

/** Removes the fields at `paths` from a deep copy of `body`. */
function without(body: unknown, paths: readonly string[][]): unknown {
  const copy = JSON.parse(JSON.stringify(body ?? null)) as Record<string, unknown>;
  for (const path of paths) {
    let node: any = copy;
    for (const key of path.slice(0, -1)) node = node?.[key];
    if (node !== null && typeof node === 'object') delete node[path[path.length - 1] as string];
  }
  return copy;
}

/**
 * No token, unseal key or other secret in the server log or in any response, except where the API
 * exists to hand it out (init's keys and root token, token create's client_token).
 */
describe('log hygiene: no secret in logs or responses', function () {
  this.timeout(60_000);
  let server: ServerHandle;
  const exchanges: Exchange[] = [];
  const secrets = new Map<string, string>();
  const wrongToken = 'hvs.WrongTokenForAFailedLogin0000';
  const wrongUnsealKey = Buffer.alloc(33, 0x5a).toString('base64');

  async function call(label: string, method: string, path: string, options: RequestOptions = {}, allowedFields: string[][] = []): Promise<ApiResponse> {
    const res = await server.request(method, path, options);
    exchanges.push({ label, res, allowedFields });
    return res;
  }

  before(async () => {
    // Trace level: every debug path that might print a request runs.
    server = await startSqliteServer({ initialize: false, extraConfig: 'log_level = "trace"' });

    const init = await call('init', 'PUT', 'sys/init', { token: null, body: { secret_shares: 3, secret_threshold: 2 } }, [
      ['keys'],
      ['keys_base64'],
      ['root_token'],
      ['data', 'keys'],
      ['data', 'keys_base64'],
      ['data', 'root_token'],
    ]);
    expect(init.status).to.equal(200);
    const root: string = init.body.root_token;
    secrets.set('root token', root);
    (init.body.keys as string[]).forEach((k, i) => secrets.set(`unseal key ${i} (hex)`, k));
    (init.body.keys_base64 as string[]).forEach((k, i) => secrets.set(`unseal key ${i} (base64)`, k));
    secrets.set('wrong token', wrongToken);
    secrets.set('wrong unseal key', wrongUnsealKey);
    server.rootToken = root;
    server.unsealKeys = init.body.keys_base64;
    server.unsealThreshold = 2;

    // Unseal: a wrong key first, then a reset and the real keys, one hex and one base64.
    await call('unseal with a wrong key', 'PUT', 'sys/unseal', { token: null, body: { key: wrongUnsealKey } });
    await call('unseal reset', 'PUT', 'sys/unseal', { token: null, body: { reset: true } });
    await call('unseal 1', 'PUT', 'sys/unseal', { token: null, body: { key: init.body.keys[0] } });
    const unsealed = await call('unseal 2', 'PUT', 'sys/unseal', { token: null, body: { key: init.body.keys_base64[1] } });
    expect(unsealed.body.sealed).to.equal(false);

    await call('policy write', 'PUT', 'sys/policies/acl/app', {
      body: { policy: 'path "secret/app/*" { capabilities = ["read"] }\npath "auth/token/create" { capabilities = ["update"] }' },
    });
    await call('policy read', 'GET', 'sys/policies/acl/app');

    const created = await call('token create', 'POST', 'auth/token/create', { body: { policies: ['app'], ttl: '1h', meta: { owner: 'hygiene' } } }, [
      ['auth', 'client_token'],
    ]);
    expect(created.status).to.equal(200);
    const child: string = created.body.auth.client_token;
    secrets.set('created token', child);
    const accessor: string = created.body.auth.accessor;

    const grandchild = await call(
      'token create by a child (Bearer)',
      'POST',
      'auth/token/create',
      { token: null, headers: { Authorization: `Bearer ${child}` }, body: { policies: ['app'] } },
      [['auth', 'client_token']],
    );
    expect(grandchild.status).to.equal(200);
    secrets.set('grandchild token', grandchild.body.auth.client_token);

    const orphan = await call('token create-orphan', 'POST', 'auth/token/create-orphan', { body: { policies: ['default'], num_uses: 3 } }, [
      ['auth', 'client_token'],
    ]);
    expect(orphan.status).to.equal(200);
    secrets.set('orphan token', orphan.body.auth.client_token);

    // A failed login: what `ferry login` / `vault login` does with a wrong token.
    const failed = await call('failed login', 'GET', 'auth/token/lookup-self', { token: wrongToken });
    expect(failed.status).to.equal(403);
    await call('failed login (Bearer)', 'GET', 'auth/token/lookup-self', { token: null, headers: { Authorization: `Bearer ${wrongToken}` } });
    await call('lookup of a wrong token', 'POST', 'auth/token/lookup', { body: { token: wrongToken } });
    await call('renew of a wrong token', 'POST', 'auth/token/renew', { body: { token: wrongToken } });

    await call('lookup-accessor', 'POST', 'auth/token/lookup-accessor', { body: { accessor } });
    await call('capabilities-self of the child', 'POST', 'sys/capabilities-self', { token: child, body: { paths: ['secret/app/x'] } });
    await call('use-limited token', 'GET', 'sys/seal-status', { token: orphan.body.auth.client_token });
    await call('seal status', 'GET', 'sys/seal-status', { token: null });
    await call('health', 'GET', 'sys/health', { token: null });
    await call('revoke by accessor', 'POST', 'auth/token/revoke-accessor', { body: { accessor } });
    await call('revoked token', 'GET', 'auth/token/lookup-self', { token: child });
    await call('malformed body', 'PUT', 'sys/policies/acl/bad', { body: `{"policy": "${root}` });
    // Seal and unseal again, then stop gracefully so every log line is flushed.
    await call('seal', 'PUT', 'sys/seal');
    await server.unseal();
    await server.stop();
  });

  it('ran the whole session', () => {
    expect(exchanges.length).to.be.greaterThan(20);
    expect(secrets.size).to.be.at.least(10);
    expect(server.logs()).to.include('shutting down');
  });

  it('writes no token or unseal key into the server log', () => {
    const logs = server.logs();
    const leaks = [...secrets].filter(([, value]) => logs.includes(value)).map(([name]) => name);
    expect(leaks, 'secrets found in the server log').to.deep.equal([]);
  });

  it('redacts token headers in any logged request', () => {
    for (const line of server.logs().split('\n')) {
      const lower = line.toLowerCase();
      if (!lower.includes('x-vault-token') && !lower.includes('authorization')) continue;
      expect(line).to.not.match(/hvs\.[A-Za-z0-9]{8,}/);
    }
  });

  it('returns secrets only from init (keys, root token) and token create (client_token)', () => {
    const leaks: string[] = [];
    for (const { label, res, allowedFields } of exchanges) {
      const rest = allowedFields.length > 0 && typeof res.body === 'object' ? JSON.stringify(without(res.body, allowedFields)) : res.text;
      for (const [name, value] of secrets) if (rest.includes(value)) leaks.push(`${label}: ${name}`);
      for (const [name, value] of res.headers) {
        for (const [secretName, secret] of secrets) if (value.includes(secret)) leaks.push(`${label}: header ${name} has ${secretName}`);
      }
    }
    expect(leaks, 'secrets found in responses').to.deep.equal([]);
  });

  it('does return the secrets where the API hands them out', () => {
    const init = exchanges.find((e) => e.label === 'init');
    expect(init?.res.text).to.include(secrets.get('root token'));
    expect(init?.res.text).to.include(secrets.get('unseal key 0 (hex)'));
    expect(exchanges.find((e) => e.label === 'token create')?.res.text).to.include(secrets.get('created token'));
  });
});
