import { expect } from 'chai';
import { handleLoginEntityRequest, parseLoginEntityAnswer } from '../../../server/replication/login-entity-request.js';
import { startInProcessCore, type InProcessCore } from '../../helpers/in-process-core.js';

describe('login entity request (primary side)', () => {
  let env: InProcessCore;
  let accessor: string;
  let localAccessor: string;
  beforeEach(async () => {
    env = await startInProcessCore();
    await env.call('update', 'sys/auth/userpass', { data: { type: 'userpass' } });
    await env.call('update', 'sys/auth/edge', { data: { type: 'userpass', local: true } });
    const auths = (await env.call('read', 'sys/auth'))?.data as Record<string, { accessor: string }>;
    accessor = auths['userpass/']?.accessor as string;
    localAccessor = auths['edge/']?.accessor as string;
  });
  const ask = (body: unknown) => handleLoginEntityRequest(env.core, body, () => 42);

  it('creates the entity of a login alias once and answers the same id after', async () => {
    const first = await ask({ mount_accessor: accessor, alias_name: 'ann', metadata: { role_name: 'web' } });
    expect(first.status).to.equal(200);
    const answer = parseLoginEntityAnswer(first.body);
    expect(answer.wal_index).to.equal(42);
    const again = parseLoginEntityAnswer((await ask({ mount_accessor: accessor, alias_name: 'ann' })).body);
    expect(again.entity_id).to.equal(answer.entity_id);
    const found = (await env.call('update', 'identity/lookup/entity', { data: { alias_name: 'ann', alias_mount_accessor: accessor } }))?.data;
    expect(found?.id).to.equal(answer.entity_id);
    // The same login on this cluster later finds that entity.
    await env.call('update', 'auth/userpass/users/ann', { data: { password: 'pw-ann' } });
    const login = await env.call('update', 'auth/userpass/login/ann', { token: '', data: { password: 'pw-ann' } });
    expect(login?.auth?.entityId).to.equal(answer.entity_id);
  });

  it('refuses malformed requests, unknown accessors and local mounts with a 400 and creates nothing', async () => {
    const bad: unknown[] = [
      'x',
      [],
      {},
      { mount_accessor: accessor },
      { mount_accessor: accessor, alias_name: '' },
      { mount_accessor: accessor, alias_name: 'a', metadata: { n: 1 } },
      { mount_accessor: 'auth_userpass_nope', alias_name: 'a' },
      { mount_accessor: localAccessor, alias_name: 'a' },
    ];
    for (const body of bad) expect((await ask(body)).status, JSON.stringify(body)).to.equal(400);
    await env.fails('list', 'identity/entity/id', 'not_found');
  });

  it('reads only well-formed answers', () => {
    expect(() => parseLoginEntityAnswer({ entity_id: '', wal_index: 1 })).to.throw('malformed login entity answer');
    expect(() => parseLoginEntityAnswer({ entity_id: 'e', wal_index: '1' })).to.throw('malformed login entity answer');
    expect(parseLoginEntityAnswer({ entity_id: 'e', wal_index: 3 })).to.deep.equal({ entity_id: 'e', wal_index: 3 });
  });
});
