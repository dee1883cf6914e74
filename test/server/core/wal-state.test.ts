import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { encodeWalState, isWalStateReached, parseWalState, type WalState } from '../../../server/core/wal-state.js';

const key = Buffer.alloc(32, 7);
const otherKey = Buffer.alloc(32, 8);
const state: WalState = { clusterId: 'c0ffee00-1111-2222-3333-444455556666', localIndex: 0, replicatedIndex: 1234 };
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const hmacHex = (body: string, k: Buffer) => createHmac('sha256', k).update(body).digest('hex');

describe('WAL state (X-Vault-Index)', () => {
  it("encodes Vault's layout: base64 of v1:<cluster>:<local>:<replicated>:<hex HMAC-SHA256 of the rest>", () => {
    const body = `v1:${state.clusterId}:0:1234`;
    expect(Buffer.from(encodeWalState(state, key), 'base64').toString('utf8')).to.equal(`${body}:${hmacHex(body, key)}`);
  });

  it('reads back what it wrote', () => {
    expect(parseWalState(encodeWalState(state, key), key)).to.deep.equal({ ok: true, state });
  });

  it('reads a state made by another implementation of the same layout (as Vault signs it)', () => {
    const body = 'v1:cluster-a:5:99';
    expect(parseWalState(b64(`${body}:${hmacHex(body, key).toUpperCase()}`), key)).to.deep.equal({
      ok: true,
      state: { clusterId: 'cluster-a', localIndex: 5, replicatedIndex: 99 },
    });
  });

  it('refuses an altered index as forged (the HMAC no longer matches)', () => {
    const body = `v1:${state.clusterId}:0:1234`;
    const altered = b64(`v1:${state.clusterId}:0:1235:${hmacHex(body, key)}`);
    expect(parseWalState(altered, key)).to.deep.equal({ ok: false, reason: 'forged' });
  });

  it("refuses another cluster's key as forged", () => {
    expect(parseWalState(encodeWalState(state, otherKey), key)).to.deep.equal({ ok: false, reason: 'forged' });
  });

  it('skips the HMAC without a key (a client reading its own state)', () => {
    expect(parseWalState(encodeWalState(state, otherKey), undefined)).to.deep.equal({ ok: true, state });
  });

  for (const [name, raw] of [
    ['empty', ''],
    ['not base64', 'not base64!!'],
    ['base64 without padding', b64('v1:c:0:1:' + 'a'.repeat(64)).replace(/=+$/, '') + '='],
    ['no colon', b64('garbage')],
    ['another version', b64(`v2:c:0:1:${hmacHex('v2:c:0:1', key)}`)],
    ['an empty cluster id', b64(`v1::0:1:${hmacHex('v1::0:1', key)}`)],
    ['a negative index', b64(`v1:c:0:-1:${hmacHex('v1:c:0:-1', key)}`)],
    ['a fractional index', b64(`v1:c:0:1.5:${hmacHex('v1:c:0:1.5', key)}`)],
    ['an index past 2^53', b64(`v1:c:0:9999999999999999:${hmacHex('v1:c:0:9999999999999999', key)}`)],
    ['too many fields', b64(`v1:c:d:0:1:${hmacHex('v1:c:d:0:1', key)}`)],
    ['a short HMAC', b64('v1:c:0:1:abcd')],
    ['a non-hex HMAC', b64(`v1:c:0:1:${'z'.repeat(64)}`)],
  ] as const) {
    it(`refuses ${name} as malformed`, () => {
      expect(parseWalState(raw, key)).to.deep.equal({ ok: false, reason: 'malformed' });
    });
  }

  it('is reached when both indexes are at or past the required ones, in the same replication set', () => {
    expect(isWalStateReached(state, state)).to.equal(true);
    expect(isWalStateReached(state, { ...state, replicatedIndex: 2000 })).to.equal(true);
    expect(isWalStateReached(state, { ...state, replicatedIndex: 1233 })).to.equal(false);
    expect(isWalStateReached({ ...state, localIndex: 1 }, state)).to.equal(false);
    expect(isWalStateReached(state, { ...state, clusterId: 'another-set', replicatedIndex: 1e9 })).to.equal(false);
  });
});
