/**
 * Issue #10, class 2: the ACL bypasses found by the adversarial review, reproduced against a real
 * server over real HTTP (node-vault's LIST and raw requests), each now refused with 403.
 */
import { expect } from 'chai';
import vault from 'node-vault';
import { failureOf, type VaultClient } from '../helpers/node-vault-client.js';
import { startDevServer, type ApiResponse, type ServerHandle } from '../helpers/test-cluster.js';

const HR_POLICY = `
path "kv1/*" { capabilities = ["read", "list"] }
path "kv1/hr/*" { capabilities = ["deny"] }
path "kv2/metadata/*" { capabilities = ["read", "list"] }
path "kv2/data/*" { capabilities = ["read"] }
path "kv2/metadata/hr/*" { capabilities = ["deny"] }
path "kv2/data/hr/*" { capabilities = ["deny"] }
`;

describe('ACL bypasses (issue #10, class 2)', () => {
  let server: ServerHandle;
  let root: VaultClient;

  // Raw requests as root: node-vault clients share request headers between instances, so after a
  // limited client has been used, a root node-vault client may send the limited token.
  async function asRoot(method: string, path: string, body?: unknown): Promise<void> {
    const response = await server.request(method, path, { body });
    expect(response.status, `${method} ${path}`).to.be.oneOf([200, 204]);
  }

  async function tokenWith(policy: string, rules: string): Promise<string> {
    await asRoot('PUT', `sys/policies/acl/${policy}`, { policy: rules });
    const created = await server.request('POST', 'auth/token/create', { body: { policies: [policy] } });
    return created.body.auth.client_token as string;
  }

  function keysOf(response: ApiResponse): string[] {
    return (response.body?.data?.keys ?? []) as string[];
  }

  before(async () => {
    server = await startDevServer();
    root = vault({ endpoint: server.addr, token: server.rootToken });
    await root.mount({ mount_point: 'kv1', type: 'kv', options: { version: '1' } });
    await root.mount({ mount_point: 'kv2', type: 'kv', options: { version: '2' } });
    for (const name of ['alice', 'bob']) {
      await root.write(`kv1/hr/${name}`, { salary: '1' });
      await root.write(`kv2/data/hr/${name}`, { data: { salary: '1' } });
    }
    await root.write('kv1/public/notice', { text: 'hello' });
    await root.write('kv2/data/public/notice', { data: { text: 'hello' } });
  });
  after(async () => {
    await server?.stop();
  });

  describe('a deny glob under a broader list grant', () => {
    let token: string;
    before(async () => {
      token = await tokenWith('hr-denied', HR_POLICY);
    });

    for (const path of ['kv1/hr/', 'kv1/hr', 'kv2/metadata/hr/', 'kv2/metadata/hr']) {
      it(`refuses LIST ${path} (LIST method) with 403 and no key names`, async () => {
        const response = await server.request('LIST', path, { token });
        expect(response.status).to.equal(403);
        expect(response.text).to.not.include('alice');
        expect(response.body).to.deep.equal({ errors: ['permission denied'] });
      });

      it(`refuses GET ${path}?list=true with 403`, async () => {
        const response = await server.request('GET', `${path}?list=true`, { token });
        expect(response.status).to.equal(403);
        expect(response.text).to.not.include('alice');
      });
    }

    it('refuses node-vault list() of kv1/hr and kv2/metadata/hr with 403', async () => {
      const client = vault({ endpoint: server.addr, token });
      expect((await failureOf(client.list('kv1/hr'))).status).to.equal(403);
      expect((await failureOf(client.list('kv2/metadata/hr'))).status).to.equal(403);
    });

    it('lists no denied key names through path variants (empty segments, encoded slashes, double slash)', async () => {
      const variants = ['kv1//hr/', 'kv1/hr//', 'kv1//hr', 'kv1/hr%2F', 'kv1%2Fhr', 'kv1/hr/%2E', 'kv2/metadata//hr', 'kv2/metadata/hr%2F', 'kv2//metadata/hr'];
      for (const variant of variants) {
        for (const response of [
          await server.request('LIST', `/v1/${variant}`, { token }),
          await server.request('GET', `/v1/${variant}?list=true`, { token }),
        ]) {
          expect(response.status, variant).to.be.within(400, 499);
          expect(response.text, variant).to.not.include('alice');
        }
      }
    });

    it('still lists what the policy grants: the mount roots and the public folder', async () => {
      const kv1 = await server.request('LIST', 'kv1/', { token });
      expect(kv1.status).to.equal(200);
      expect(keysOf(kv1)).to.include.members(['hr/', 'public/']);
      expect(keysOf(await server.request('LIST', 'kv1/public', { token }))).to.deep.equal(['notice']);
      expect(keysOf(await server.request('LIST', 'kv2/metadata/public', { token }))).to.deep.equal(['notice']);
      expect((await server.request('GET', 'kv1/public/notice', { token })).status).to.equal(200);
    });

    it('refuses reading what lies under the deny', async () => {
      expect((await server.request('GET', 'kv1/hr/alice', { token })).status).to.equal(403);
      expect((await server.request('GET', 'kv2/data/hr/alice', { token })).status).to.equal(403);
    });

    it('sys/capabilities-self agrees with enforcement: no list on kv1/hr or kv1/hr/', async () => {
      const response = await server.request('POST', 'sys/capabilities-self', {
        token,
        body: { paths: ['kv1/hr', 'kv1/hr/', 'kv2/metadata/hr', 'kv2/metadata/hr/', 'kv1/public'] },
      });
      expect(response.status).to.equal(200);
      expect(response.body['kv1/hr/']).to.deep.equal(['deny']);
      expect(response.body['kv2/metadata/hr/']).to.deep.equal(['deny']);
      expect(response.body['kv1/hr']).to.not.include('list');
      expect(response.body['kv2/metadata/hr']).to.not.include('list');
      expect(response.body['kv1/public']).to.deep.equal(['list', 'read']);
    });

    it('sys/capabilities (by token, as root) gives the same answer', async () => {
      const response = await server.request('POST', 'sys/capabilities', { body: { token, paths: ['kv1/hr', 'kv1/hr/'] } });
      expect(response.status).to.equal(200);
      expect(response.body['kv1/hr/']).to.deep.equal(['deny']);
      expect(response.body['kv1/hr']).to.not.include('list');
    });
  });

  describe('sudo-protected paths', () => {
    it('refuses LIST auth/token/accessors, with and without the slash, without sudo', async () => {
      const token = await tokenWith('accessors-no-sudo', 'path "auth/token/accessors*" { capabilities = ["list", "read"] }');
      for (const path of ['auth/token/accessors', 'auth/token/accessors/']) {
        const response = await server.request('LIST', path, { token });
        expect(response.status, path).to.equal(403);
        expect(response.text).to.not.include('accessor');
        expect((await server.request('GET', `${path}?list=true`, { token })).status, path).to.equal(403);
      }
    });

    it('lists auth/token/accessors with list and sudo', async () => {
      const token = await tokenWith('accessors-sudo', 'path "auth/token/accessors/" { capabilities = ["list", "sudo"] }');
      for (const path of ['auth/token/accessors', 'auth/token/accessors/']) {
        const response = await server.request('LIST', path, { token });
        expect(response.status, path).to.equal(200);
        expect(keysOf(response).length).to.be.greaterThan(0);
      }
    });

    it('refuses enabling an auth method (sys/auth/*) without sudo, and nothing is enabled', async () => {
      const token = await tokenWith('auth-no-sudo', 'path "sys/auth/*" { capabilities = ["create", "read", "update", "delete"] }');
      const response = await server.request('POST', 'sys/auth/people', { token, body: { type: 'userpass' } });
      expect(response.status).to.equal(403);
      const auths = await server.request('GET', 'sys/auth');
      expect(auths.body.data).to.not.have.property('people/');
    });

    it('enables an auth method with sudo', async () => {
      const token = await tokenWith('auth-sudo', 'path "sys/auth/*" { capabilities = ["create", "update", "sudo"] }');
      const response = await server.request('POST', 'sys/auth/people2', { token, body: { type: 'userpass' } });
      expect(response.status).to.equal(204);
    });

    it('refuses sys/remount without sudo, and the mount stays where it was', async () => {
      await asRoot('POST', 'sys/mounts/moveme', { type: 'kv' });
      const token = await tokenWith(
        'remount-no-sudo',
        'path "sys/remount" { capabilities = ["create", "update"] }\npath "sys/mounts/*" { capabilities = ["create", "update", "read"] }',
      );
      const response = await server.request('POST', 'sys/remount', { token, body: { from: 'moveme', to: 'moved' } });
      expect(response.status).to.equal(403);
      const mounts = await server.request('GET', 'sys/mounts');
      expect(mounts.body.data).to.have.property('moveme/');
      expect(mounts.body.data).to.not.have.property('moved/');
    });

    it('enables a secrets engine (sys/mounts/*) without sudo, as Vault does', async () => {
      const token = await tokenWith('mounts-no-sudo', 'path "sys/mounts/*" { capabilities = ["create", "update"] }');
      const response = await server.request('POST', 'sys/mounts/team-kv', { token, body: { type: 'kv' } });
      expect(response.status).to.equal(204);
    });

    it('creates an orphan token through auth/token/create only with sudo on that path', async () => {
      const plain = await tokenWith('create-no-sudo', 'path "auth/token/create" { capabilities = ["update"] }');
      const refused = await server.request('POST', 'auth/token/create', { token: plain, body: { no_parent: true } });
      expect(refused.status).to.equal(400);
      expect(refused.body.errors[0]).to.include('root or sudo privileges required');
      const sudo = await tokenWith('create-sudo', 'path "auth/token/create" { capabilities = ["update", "sudo"] }');
      const created = await server.request('POST', 'auth/token/create', { token: sudo, body: { no_parent: true } });
      expect(created.status).to.equal(200);
      expect(created.body.auth.orphan).to.equal(true);
    });
  });

  describe('PATCH', () => {
    before(async () => {
      await asRoot('POST', 'kv2/data/app/config', { data: { a: '1' } });
    });

    it('refuses PATCH with only update, and the secret is unchanged', async () => {
      const token = await tokenWith('kv2-update-only', 'path "kv2/data/app/*" { capabilities = ["read", "update"] }');
      const response = await server.request('PATCH', 'kv2/data/app/config', {
        token,
        body: { data: { b: '2' } },
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
      expect(response.status).to.equal(403);
      const current = await server.request('GET', 'kv2/data/app/config');
      expect(current.body.data.data).to.deep.equal({ a: '1' });
    });

    it('allows PATCH with the patch capability', async () => {
      const token = await tokenWith('kv2-patch', 'path "kv2/data/app/*" { capabilities = ["read", "patch"] }');
      const response = await server.request('PATCH', 'kv2/data/app/config', {
        token,
        body: { data: { b: '2' } },
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
      expect(response.status).to.equal(200);
      const current = await server.request('GET', 'kv2/data/app/config');
      expect(current.body.data.data).to.deep.equal({ a: '1', b: '2' });
    });
  });

  describe('parameter constraints', () => {
    it('enforces allowed_parameters and required_parameters on writes, with no state change on refusal', async () => {
      const token = await tokenWith(
        'kv1-params',
        'path "kv1/limited" {\n capabilities = ["create", "update", "read"]\n allowed_parameters = { "colour" = ["red", "blue"] "size" = [] }\n required_parameters = ["colour"]\n}',
      );
      expect((await server.request('POST', 'kv1/limited', { token, body: { colour: 'green' } })).status).to.equal(403);
      expect((await server.request('POST', 'kv1/limited', { token, body: { colour: 'red', extra: 'x' } })).status).to.equal(403);
      expect((await server.request('POST', 'kv1/limited', { token, body: { size: 'L' } })).status).to.equal(403);
      expect((await server.request('GET', 'kv1/limited')).status).to.equal(404);
      expect((await server.request('POST', 'kv1/limited', { token, body: { colour: 'blue', size: 'L' } })).status).to.equal(204);
      expect((await server.request('GET', 'kv1/limited')).body.data).to.deep.equal({ colour: 'blue', size: 'L' });
    });
  });
});
