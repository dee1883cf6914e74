import { expect } from 'chai';
import { envelopeClientToken, envelopeData, envelopeKeys, envelopeWrapInfo, parseJsonObject } from '../../../server/api-client/vault-envelope.js';

describe('server/api-client/vault-envelope', () => {
  it('parses only JSON objects; an empty body, an array or broken JSON is null', () => {
    expect(parseJsonObject('{"data":{}}')).to.deep.equal({ data: {} });
    for (const text of ['', '  ', '[1]', '"s"', 'null', '{broken']) expect(parseJsonObject(text), text).to.equal(null);
  });

  it('reads data, list keys, wrap info and a login token, and nothing from a body without them', () => {
    const list = { data: { keys: ['a', 'b/', 3] } };
    const wrapped = { wrap_info: { token: 'hvs.w', accessor: 'acc', ttl: 60 } };
    const login = { auth: { client_token: 'hvs.t' } };
    expect(envelopeData(list)).to.deep.equal({ keys: ['a', 'b/', 3] });
    expect(envelopeKeys(list)).to.deep.equal(['a', 'b/']);
    expect(envelopeWrapInfo(wrapped)).to.deep.equal(wrapped.wrap_info);
    expect(envelopeClientToken(login)).to.equal('hvs.t');
    for (const body of [null, {}, { data: 'x' }, { wrap_info: { ttl: 1 } }, { auth: { client_token: '' } }]) {
      expect([envelopeData(body), envelopeKeys(body), envelopeWrapInfo(body), envelopeClientToken(body)], JSON.stringify(body)).to.deep.equal([
        undefined,
        [],
        undefined,
        undefined,
      ]);
    }
  });
});
