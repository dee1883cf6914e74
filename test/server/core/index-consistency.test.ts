import { expect } from 'chai';
import { IndexConsistency, MISSING_STATE_MESSAGE } from '../../../server/core/index-consistency.js';
import { IndexHeaderKey } from '../../../server/core/index-header-key.js';
import type { LogicalRequest, LogicalResponse } from '../../../server/core/logical.js';
import type { ReplicationMode, ReplicationView } from '../../../server/core/replication-role.js';
import { layout } from '../../../server/core/storage-layout.js';
import { isVaultError } from '../../../server/core/vault-error.js';
import { encodeWalState, parseWalState } from '../../../server/core/wal-state.js';

/** Barrier stand-in: a map of plaintext values. */
function memoryBarrier() {
  const values = new Map<string, Buffer>();
  return { values, get: async (k: string) => values.get(k), put: async (k: string, v: Buffer) => void values.set(k, v) };
}

/** A replication view whose position and replicated watermark (a primary's) the test moves. */
function fakeReplication(mode: ReplicationMode, position: { clusterId: string; replicatedWal: number } | undefined) {
  const view = {
    mode: () => mode,
    position,
    watermark: mode === 'primary' ? (position?.replicatedWal ?? 0) : undefined,
    walPosition: () => view.position,
    replicatedWatermark: () => view.watermark,
  };
  return view satisfies ReplicationView;
}

const request = (headers: Record<string, string> = {}, operation: LogicalRequest['operation'] = 'update'): LogicalRequest => ({
  id: 'r',
  operation,
  path: 'secret/data/x',
  data: {},
  clientToken: '',
  query: {},
  headers,
  remoteAddress: '127.0.0.1',
});

async function refusal(p: Promise<unknown>): Promise<{ status: number; messages: string[] }> {
  try {
    await p;
  } catch (err) {
    if (isVaultError(err)) return { status: err.status, messages: err.messages };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('IndexConsistency (X-Vault-Index)', () => {
  const setId = 'set-1';

  function guardOn(mode: ReplicationMode, replicatedWal: number | undefined, barrier = memoryBarrier()) {
    const replication = fakeReplication(mode, replicatedWal === undefined ? undefined : { clusterId: setId, replicatedWal });
    const key = new IndexHeaderKey(barrier);
    return { guard: new IndexConsistency({ isServing: true, replication, indexHeaderKey: key }), replication, barrier, key };
  }

  it("stamps a write of replicated state with the primary's replicated index when it finished, signed by the set's key", async () => {
    const { guard, replication, barrier } = guardOn('primary', 40);
    const res = await guard.handle(request(), async () => {
      replication.watermark = 42; // this request's write (and one concurrent one) committed
      return undefined;
    });
    const header = res?.headers?.['X-Vault-Index'];
    expect(header).to.be.a('string');
    const key = barrier.values.get(layout.indexHeaderKey);
    expect(key, 'a primary mints the key on first use').to.not.equal(undefined);
    expect(parseWalState(header as string, key)).to.deep.equal({ ok: true, state: { clusterId: setId, localIndex: 0, replicatedIndex: 42 } });
  });

  it('stamps the writes of one commit group with one state, and a new key or watermark with a new one', async () => {
    const { guard, replication, barrier, key } = guardOn('primary', 40);
    // Each write commits on a later turn, so writes started together all began before the group committed.
    const write = (to: number) =>
      guard.handle(request(), async () => {
        await new Promise((resolve) => setImmediate(resolve));
        replication.watermark = to;
        return undefined;
      });
    const [a, b] = await Promise.all([write(42), write(42)]);
    expect(a?.headers?.['X-Vault-Index']).to.be.a('string').and.equal(b?.headers?.['X-Vault-Index']);
    const later = (await write(43))?.headers?.['X-Vault-Index'] as string;
    expect(parseWalState(later, barrier.values.get(layout.indexHeaderKey)).ok).to.equal(true);
    // The set's key replaced underneath (a secondary adopting its primary's): the same watermark is signed anew.
    barrier.values.set(layout.indexHeaderKey, Buffer.alloc(32, 7));
    key.forget();
    replication.watermark = 40;
    const resigned = (await write(43))?.headers?.['X-Vault-Index'] as string;
    expect(resigned).to.not.equal(later);
    expect(parseWalState(resigned, Buffer.alloc(32, 7))).to.deep.equal({ ok: true, state: { clusterId: setId, localIndex: 0, replicatedIndex: 43 } });
  });

  it('keeps the response it stamps (body and headers)', async () => {
    const { guard, replication } = guardOn('primary', 2);
    const original: LogicalResponse = { data: { a: 1 }, headers: { 'X-Other': 'y' } };
    const res = await guard.handle(request(), async () => ((replication.watermark = 3), original));
    expect(res?.data).to.deep.equal({ a: 1 });
    expect(res?.headers?.['X-Other']).to.equal('y');
  });

  it('sets no header when no replicated state was written meanwhile, nor on a read or a list', async () => {
    const { guard, replication } = guardOn('primary', 10);
    expect(await guard.handle(request(), async () => ({ data: {} }))).to.deep.equal({ data: {} });
    for (const operation of ['read', 'list'] as const) {
      const res = await guard.handle(request({}, operation), async () => ((replication.watermark = (replication.watermark ?? 0) + 1), { data: {} }));
      expect(res, `a ${operation} whose run saw writes commit`).to.deep.equal({ data: {} });
    }
  });

  it('sets no header on a node that makes no replicated writes of its own (a secondary)', async () => {
    const { guard } = guardOn('secondary', 10);
    expect(await guard.handle(request(), async () => ({ data: {} }))).to.deep.equal({ data: {} });
  });

  it('serves a request whose states this node holds, and answers 412 without running one it does not', async () => {
    const barrier = memoryBarrier();
    barrier.values.set(layout.indexHeaderKey, Buffer.alloc(32, 1));
    const { guard, replication } = guardOn('secondary', 10, barrier);
    const at = (n: number) => encodeWalState({ clusterId: setId, localIndex: 0, replicatedIndex: n }, Buffer.alloc(32, 1));
    let runs = 0;
    const run = async () => (runs++, { data: {} });
    await guard.handle(request({ 'x-vault-index': at(10) }), run);
    expect(runs).to.equal(1);
    expect(await refusal(guard.handle(request({ 'x-vault-index': at(11) }), run))).to.deep.equal({ status: 412, messages: [MISSING_STATE_MESSAGE] });
    // Several states (repeated headers arrive joined by commas): every one must be held.
    expect(await refusal(guard.handle(request({ 'x-vault-index': `${at(3)}, ${at(11)}` }), run))).to.deep.include({ status: 412 });
    expect(runs).to.equal(1);
    replication.position = { clusterId: setId, replicatedWal: 11 };
    await guard.handle(request({ 'x-vault-index': `${at(3)}, ${at(11)}` }), run);
    expect(runs).to.equal(2);
  });

  it('answers 400 for a malformed, altered or foreign state, without echoing it', async () => {
    const barrier = memoryBarrier();
    barrier.values.set(layout.indexHeaderKey, Buffer.alloc(32, 1));
    const { guard } = guardOn('primary', 100, barrier);
    const run = async () => ({ data: {} });
    const altered = Buffer.from(
      Buffer.from(encodeWalState({ clusterId: setId, localIndex: 0, replicatedIndex: 5 }, Buffer.alloc(32, 1)), 'base64')
        .toString('utf8')
        .replace(':5:', ':6:'),
    ).toString('base64');
    for (const value of [
      'bm9wZQ==',
      altered,
      encodeWalState({ clusterId: setId, localIndex: 0, replicatedIndex: 5 }, Buffer.alloc(32, 2)),
      encodeWalState({ clusterId: 'another-set', localIndex: 0, replicatedIndex: 5 }, Buffer.alloc(32, 1)),
    ]) {
      const { status, messages } = await refusal(guard.handle(request({ 'x-vault-index': value }), run));
      expect(status).to.equal(400);
      expect(messages.join(' ')).to.not.include(value);
    }
  });

  it('answers 412 on a secondary that has not received its primary\u2019s key yet, and never mints one there', async () => {
    const { guard, barrier } = guardOn('secondary', 5);
    const state = encodeWalState({ clusterId: setId, localIndex: 0, replicatedIndex: 1 }, Buffer.alloc(32, 1));
    expect(await refusal(guard.handle(request({ 'x-vault-index': state }), async () => undefined))).to.deep.include({ status: 412 });
    expect(barrier.values.size).to.equal(0);
  });

  it('on a cluster outside replication, serves its own states and refuses forged ones', async () => {
    const barrier = memoryBarrier();
    barrier.values.set(layout.indexHeaderKey, Buffer.alloc(32, 1));
    const { guard } = guardOn('disabled', undefined, barrier);
    const own = encodeWalState({ clusterId: 'old-set', localIndex: 0, replicatedIndex: 7 }, Buffer.alloc(32, 1));
    expect(await guard.handle(request({ 'x-vault-index': own }), async () => ({ data: {} }))).to.deep.equal({ data: {} });
    const forged = encodeWalState({ clusterId: 'old-set', localIndex: 0, replicatedIndex: 7 }, Buffer.alloc(32, 9));
    expect(await refusal(guard.handle(request({ 'x-vault-index': forged }), async () => undefined))).to.deep.include({ status: 400 });
  });
});
