import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { KEYRING_PATH } from '../../../server/core/barrier.js';
import { KEYRING_LOST_REASON, KeyringFollower } from '../../../server/ha/keyring-follower.js';
import { handoverKey, sealHandover, type HandoverKeyAdvert } from '../../../server/ha/keyring-handover.js';
import { startInProcessCore, type InProcessCore } from '../../helpers/in-process-core.js';

/** Two cores on one storage: the "active" changes the keyring, the "standby" follows it. */
describe('KeyringFollower', () => {
  const NODE_ID = 'standby-node';
  let active: InProcessCore;
  let standby: InProcessCore;
  let follower: KeyringFollower;

  beforeEach(async () => {
    active = await startInProcessCore();
    standby = await startInProcessCore({ restart: { physical: active.physical, unsealKeys: active.unsealKeys, rootToken: active.rootToken } });
    follower = new KeyringFollower(standby.core, NODE_ID, pino({ level: 'silent' }));
    await follower.start();
  });
  afterEach(async () => {
    await standby.core.sealCore();
    await active.core.sealCore();
  });

  it('has nothing to do while the keyring is unchanged', async () => {
    expect(await follower.follow()).to.equal(true);
    expect(standby.core.isSealed).to.equal(false);
  });

  it('follows a rotation, then a rekey, with the keys it holds', async () => {
    await active.core.barrier.rotate(active.core.seal.currentRootKey());
    await active.core.barrier.put('test/rotated', Buffer.from('term 2'));
    expect(await follower.follow()).to.equal(true);
    expect((await standby.core.barrier.get('test/rotated'))?.toString()).to.equal('term 2');
    const newRoot = randomBytes(32);
    await active.core.seal.rekey(newRoot, 1, 1);
    expect(await follower.follow()).to.equal(true);
    expect(standby.core.seal.currentRootKey().equals(newRoot)).to.equal(true);
  });

  it('takes a new root key from the handover sealed to it (secondary activation)', async () => {
    const primary = await startInProcessCore();
    const oldRoot = standby.core.seal.currentRootKey();
    const advert = follower.advert();
    expect(advert).to.not.equal(undefined);
    await primary.core.barrier.put('test/from-primary', Buffer.from('replicated'));
    await active.physical.transaction([
      { op: 'put', key: KEYRING_PATH, value: (await primary.physical.get(KEYRING_PATH)) as Buffer },
      { op: 'put', key: 'test/from-primary', value: (await primary.physical.get('test/from-primary')) as Buffer },
      { op: 'put', key: handoverKey(NODE_ID), value: sealHandover(NODE_ID, advert as HandoverKeyAdvert, oldRoot, primary.core.seal.currentRootKey()) },
    ]);
    expect(await follower.follow()).to.equal(true);
    expect((await standby.core.barrier.get('test/from-primary'))?.toString()).to.equal('replicated');
    expect(follower.advert()).to.not.deep.equal(advert);
    await primary.core.sealCore();
  });

  it('seals itself, saying why, when the keyring changed and nothing was handed to it', async () => {
    const other = await startInProcessCore();
    await active.physical.put(KEYRING_PATH, (await other.physical.get(KEYRING_PATH)) as Buffer);
    expect(await follower.follow()).to.equal(false);
    expect(standby.core.isSealed).to.equal(true);
    expect(standby.core.sealedReason).to.equal(KEYRING_LOST_REASON);
    expect(follower.advert()).to.equal(undefined);
    await other.core.sealCore();
  });

  it('ignores a handover forged without the old root key', async () => {
    const other = await startInProcessCore();
    await active.physical.transaction([
      { op: 'put', key: KEYRING_PATH, value: (await other.physical.get(KEYRING_PATH)) as Buffer },
      {
        op: 'put',
        key: handoverKey(NODE_ID),
        value: sealHandover(NODE_ID, follower.advert() as HandoverKeyAdvert, randomBytes(32), other.core.seal.currentRootKey()),
      },
    ]);
    expect(await follower.follow()).to.equal(false);
    expect(standby.core.sealedReason).to.equal(KEYRING_LOST_REASON);
    await other.core.sealCore();
  });
});
