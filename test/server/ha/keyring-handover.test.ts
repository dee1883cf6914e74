import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { handoverKey, isAdvertFrom, KEYRING_HANDOVER_PREFIX, NodeHandoverKey, parseHandoverAdvert, sealHandover } from '../../../server/ha/keyring-handover.js';
import { classify } from '../../../server/replication/keyset.js';

describe('keyring handover', () => {
  const oldRoot = randomBytes(32);
  const newRoot = randomBytes(32);

  it('proves with the advert that the node holds the root key, and only that one, for that node id', () => {
    const key = new NodeHandoverKey();
    const advert = key.advert('node-a', oldRoot);
    expect(isAdvertFrom('node-a', advert, oldRoot)).to.equal(true);
    expect(isAdvertFrom('node-a', advert, randomBytes(32))).to.equal(false);
    expect(isAdvertFrom('node-b', advert, oldRoot)).to.equal(false);
    expect(isAdvertFrom('node-a', { ...advert, public_key: new NodeHandoverKey().advert('node-a', oldRoot).public_key }, oldRoot)).to.equal(false);
  });

  it('opens what was sealed to this node by a holder of the old root key', () => {
    const key = new NodeHandoverKey();
    const sealed = sealHandover('node-a', key.advert('node-a', oldRoot), oldRoot, newRoot);
    expect(key.open('node-a', oldRoot, sealed)?.equals(newRoot)).to.equal(true);
    expect(sealed.toString('utf8')).to.not.include(newRoot.toString('base64'));
  });

  it('refuses a handover for another node, from a holder of another root key, tampered or malformed', () => {
    const key = new NodeHandoverKey();
    const advert = key.advert('node-a', oldRoot);
    const sealed = sealHandover('node-a', advert, oldRoot, newRoot);
    expect(key.open('node-b', oldRoot, sealed), 'another node id').to.equal(undefined);
    expect(new NodeHandoverKey().open('node-a', oldRoot, sealed), 'another node key').to.equal(undefined);
    expect(key.open('node-a', oldRoot, sealHandover('node-a', advert, randomBytes(32), newRoot)), 'forged without the old root key').to.equal(undefined);
    const parsed = JSON.parse(sealed.toString('utf8')) as { epk: string; box: string };
    const box = Buffer.from(parsed.box, 'base64');
    box[box.length - 1] = (box[box.length - 1] as number) ^ 1;
    expect(key.open('node-a', oldRoot, Buffer.from(JSON.stringify({ ...parsed, box: box.toString('base64') }))), 'tampered').to.equal(undefined);
    for (const junk of ['', 'not json', '{}', '{"epk":"AAAA","box":"AAAA"}']) expect(key.open('node-a', oldRoot, Buffer.from(junk)), junk).to.equal(undefined);
  });

  it('parses adverts from heartbeat rows, ignoring anything else', () => {
    const advert = new NodeHandoverKey().advert('node-a', oldRoot);
    expect(parseHandoverAdvert(JSON.parse(JSON.stringify(advert)))).to.deep.equal(advert);
    for (const junk of [undefined, null, 'x', { public_key: 1, proof: 'p' }, { public_key: 'k' }]) expect(parseHandoverAdvert(junk)).to.equal(undefined);
  });

  it('keeps handovers on their own cluster', () => {
    expect(handoverKey('node-a').startsWith(KEYRING_HANDOVER_PREFIX)).to.equal(true);
    // Sealed to this cluster's standbys: never sent to any secondary, DR ones included.
    expect(classify(handoverKey('node-a')).keyClass).to.equal('bookkeeping');
  });
});
