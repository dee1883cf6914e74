import { expect } from 'chai';
import type { LogicalRequest } from '../../../server/core/logical.js';
import { VaultError } from '../../../server/core/vault-error.js';
import { forwardedRequestOf, handleForwardedRequest, parseForwardedRequest } from '../../../server/replication/forwarded-request.js';
import { startInProcessCore, writePolicy, type InProcessCore } from '../../helpers/in-process-core.js';

const auth = (policies: string[]) => ({ tokenAccessor: 'acc', tokenHash: 'hash', policies, displayName: 'token', entityId: '' });

function parseFails(body: unknown): VaultError {
  try {
    parseForwardedRequest(body, 'req');
  } catch (err) {
    expect(err).to.be.instanceOf(VaultError);
    expect((err as VaultError).code).to.equal('invalid_request');
    return err as VaultError;
  }
  return expect.fail('parsed');
}

describe('forwarded requests', () => {
  describe('forwardedRequestOf (the secondary side)', () => {
    const request = (overrides: Partial<LogicalRequest>): LogicalRequest => ({
      id: 'r',
      operation: 'create',
      path: 'secret/data/k',
      data: { data: { v: 1 } },
      clientToken: 'never-sent',
      query: {},
      headers: {},
      remoteAddress: '127.0.0.1',
      ...overrides,
    });

    it('sends the operation the client asked for, not the one the secondary decided', () => {
      expect(forwardedRequestOf(request({ operation: 'create', requestedOperation: 'update' })).operation).to.equal('update');
      expect(forwardedRequestOf(request({ operation: 'create' })).operation).to.equal('update');
      expect(forwardedRequestOf(request({ operation: 'delete', requestedOperation: 'delete' })).operation).to.equal('delete');
    });

    it("sends the caller's policy names and identity, never the client token or a root flag", () => {
      const fwd = forwardedRequestOf(request({ auth: { ...auth(['app']), isRoot: true } }));
      expect(fwd.auth).to.deep.equal(auth(['app']));
      expect(JSON.stringify(fwd)).not.to.contain('never-sent');
    });
  });

  describe('parseForwardedRequest (the primary side)', () => {
    it('takes a forwarded create as the update it came from', () => {
      expect(parseForwardedRequest({ operation: 'create', path: 'secret/data/k', data: {} }, 'r').logical.operation).to.equal('update');
    });

    it('derives root from the policy names, not from a flag the secondary sent', () => {
      const forged = parseForwardedRequest({ operation: 'update', path: 'p', auth: { ...auth(['default']), isRoot: true } }, 'r');
      expect(forged.auth?.isRoot).to.equal(false);
      expect(parseForwardedRequest({ operation: 'update', path: 'p', auth: auth(['root']) }, 'r').auth?.isRoot).to.equal(true);
    });

    it('refuses malformed requests with invalid_request', () => {
      parseFails(null);
      parseFails([]);
      parseFails({ operation: 'explode', path: 'p' });
      parseFails({ operation: 'update', path: 7 });
      parseFails({ operation: 'update', path: 'p', data: 'text' });
      parseFails({ operation: 'update', path: 'p', wrapTtlSeconds: -1 });
      parseFails({ operation: 'update', path: 'p', auth: { policies: 'root' } });
      parseFails({ operation: 'update', path: 'p', auth: { policies: [1] } });
    });
  });

  describe('handleForwardedRequest (on the primary core)', () => {
    let env: InProcessCore;
    const lastWal = () => 42;
    const unexpected: unknown[] = [];
    const forward = (body: unknown) => handleForwardedRequest(env.core, body, lastWal, (err) => unexpected.push(err));
    const value = async (key: string) => (await env.call('read', `secret/data/${key}`))?.data?.data;

    beforeEach(async () => {
      env = await startInProcessCore();
      await env.call('update', 'sys/mounts/secret', { data: { type: 'kv', options: { version: '2' } } });
      await writePolicy(env, 'create-only', 'path "secret/data/*" { capabilities = ["create"] }');
      await env.call('update', 'secret/data/owned', { data: { data: { owner: 'owner' } } });
    });
    afterEach(async () => {
      await env.core.sealCore();
      expect(unexpected).to.deep.equal([]);
    });

    it("decides create-vs-update on its own state: a create-only caller's forwarded create of an existing key is a denied update", async () => {
      const answer = await forward({ operation: 'create', path: 'secret/data/owned', data: { data: { owner: 'intruder' } }, auth: auth(['create-only']) });
      expect(answer).to.deep.equal({ status: 403, body: { errors: ['permission denied'] }, walIndex: 42 });
      expect(await value('owned')).to.deep.equal({ owner: 'owner' });
    });

    it('lets the same caller create a key that does not exist here', async () => {
      const answer = await forward({ operation: 'update', path: 'secret/data/fresh', data: { data: { v: 'new' } }, auth: auth(['create-only']) });
      expect(answer.status).to.equal(200);
      expect(await value('fresh')).to.deep.equal({ v: 'new' });
    });

    it("resolves policy names to this cluster's definitions: an unknown name grants nothing", async () => {
      const answer = await forward({ operation: 'update', path: 'secret/data/fresh', data: { data: { v: 'x' } }, auth: auth(['no-such-policy']) });
      expect(answer.status).to.equal(403);
    });

    it('refuses a forwarded request without a caller on an authenticated path', async () => {
      expect((await forward({ operation: 'update', path: 'secret/data/fresh', data: { data: { v: 'x' } } })).status).to.equal(403);
    });

    it('answers a malformed forwarded request with 400, not 500', async () => {
      expect((await forward({ operation: 'update' })).status).to.equal(400);
    });
  });
});
