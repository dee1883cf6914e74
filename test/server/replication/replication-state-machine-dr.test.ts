import { expect } from 'chai';
import { kindsOf, roleFor, type ReplicationKind } from '../../../server/replication/replication-state.js';
import { activationToken, bundleFor, refusal, Rig } from './role-fakes.js';

const NO_TRUST = { caFile: '', caPath: '' };

describe('ReplicationStateMachine: DR and performance roles', () => {
  let rig: Rig;

  beforeEach(async () => {
    rig = await Rig.started();
  });
  afterEach(async () => {
    await rig.machine.pause();
  });

  async function asDrSecondary(): Promise<void> {
    rig.unwrapped = bundleFor({ kind: 'dr' });
    await rig.machine.enableSecondary(activationToken({ replication_type: 'dr' }), '', NO_TRUST, {}, 'dr');
  }

  it('is performance primary and DR primary at once, on one listener, and disables one type without the other', async () => {
    await rig.machine.enablePrimary('', 'performance');
    await rig.machine.enablePrimary('', 'dr');
    expect(rig.listeners).to.have.length(1);
    const both = await rig.stored();
    expect(both.role === 'primary' && kindsOf(both)).to.deep.equal(['performance', 'dr']);
    expect(rig.machine.roleIn('dr')).to.equal('primary');
    expect(rig.machine.roleIn('performance')).to.equal('primary');
    expect((await refusal(rig.machine.enablePrimary('', 'dr'))).message).to.equal('DR replication is already enabled as a primary on this cluster');
    // Demoting one type of a cluster that is primary of both would leave the other without a primary.
    expect((await refusal(rig.machine.demotePrimary('dr'))).message).to.match(/primary of both replication types/);

    await rig.machine.disablePrimary('performance');
    const drOnly = await rig.stored();
    expect(roleFor(drOnly, 'performance')).to.equal('disabled');
    expect(roleFor(drOnly, 'dr')).to.equal('primary');
    expect(rig.lastListener?.isStopped).to.equal(false);
    expect(await rig.walRole()).to.equal('primary');
  });

  it("disabling one type revokes that type's secondaries only", async () => {
    await rig.machine.enablePrimary('', 'performance');
    await rig.machine.enablePrimary('', 'dr');
    const secondary = (id: string, kind: ReplicationKind) => ({ id, certSerial: id, issuedAt: '', tokenExpiresAt: '', ...(kind === 'dr' ? { kind } : {}) });
    await rig.machine.changePrimary(async (state) => ({
      next: { ...state, secondaries: { p1: secondary('p1', 'performance'), d1: secondary('d1', 'dr') } },
      result: undefined,
    }));
    expect((await refusal(rig.machine.revokeSecondary('d1', 'performance'))).message).to.equal('no secondary with id "d1"');
    await rig.machine.disablePrimary('dr');
    const state = await rig.stored();
    expect(state.role === 'primary' && Object.keys(state.secondaries)).to.deep.equal(['p1']);
    expect(rig.lastListener?.disconnected).to.deep.equal(['d1']);
  });

  it('refuses a performance token on DR enable and a DR token on performance enable, before any network call', async () => {
    const drOnPerf = await refusal(rig.machine.enableSecondary(activationToken({ replication_type: 'dr' }), '', NO_TRUST, {}, 'performance'));
    expect(drOnPerf.status).to.equal(400);
    expect(drOnPerf.message).to.match(/DR secondary activation token/);
    const perfOnDr = await refusal(rig.machine.enableSecondary(activationToken(), '', NO_TRUST, {}, 'dr'));
    expect(perfOnDr.message).to.match(/performance secondary activation token/);
    expect(rig.unwrapCalls).to.equal(0);
    expect((await rig.stored()).role).to.equal('disabled');
  });

  it('a DR secondary is a secondary of DR only, and cannot become a primary of either type by enable', async () => {
    await asDrSecondary();
    const state = await rig.stored();
    expect(roleFor(state, 'dr')).to.equal('secondary');
    expect(roleFor(state, 'performance')).to.equal('disabled');
    await refusal(rig.machine.enablePrimary('', 'performance'));
    await refusal(rig.machine.enablePrimary('', 'dr'));
    // Performance operations do not apply to it.
    await refusal(rig.machine.promoteSecondary('', false, 'performance'));
    await refusal(rig.machine.disableSecondary('performance'));
    expect(await rig.stored()).to.deep.equal(state);
  });

  it('DR promote answers 503 while the secondary is catching up, unless forced; promotion bumps the epoch and tells the old primary', async () => {
    await asDrSecondary();
    const stream = rig.lastStream;
    if (stream === undefined) throw new Error('no stream');
    stream.isCatchingUp = true;
    const busy = await refusal(rig.machine.promoteSecondary('', false, 'dr'));
    expect(busy.status).to.equal(503);
    expect(busy.message).to.equal('replication is still catching up, try again later or provide the "force" argument');
    expect(rig.machine.roleIn('dr')).to.equal('secondary');

    await rig.machine.promoteSecondary('', true, 'dr');
    const promoted = await rig.stored();
    expect(promoted.role === 'primary' && promoted.epoch).to.equal(2);
    expect(roleFor(promoted, 'dr')).to.equal('primary');
    expect(roleFor(promoted, 'performance')).to.equal('disabled');
    expect(rig.notified.map((n) => n.epoch)).to.deep.equal([2]);
  });

  it('a fenced DR primary steps down to a detached DR secondary (never two primaries)', async () => {
    await rig.machine.enablePrimary('', 'dr');
    const listener = rig.lastListener;
    listener?.hooks.onNewerEpoch(5);
    for (let i = 0; i < 50 && rig.machine.current.role === 'primary'; i++) await new Promise((r) => setTimeout(r, 10));
    const state = await rig.stored();
    expect(roleFor(state, 'dr')).to.equal('secondary');
    expect(state.role === 'secondary' && state.fencedByEpoch).to.equal(5);
    expect(listener?.isStopped).to.equal(true);
  });

  it('a performance secondary becomes DR primary of its own DR secondary: a second listener role, stored apart, relaying its WAL', async () => {
    rig.unwrapped = bundleFor();
    await rig.machine.enableSecondary(activationToken(), '', NO_TRUST);
    const secondaryState = await rig.stored();
    await rig.machine.enablePrimary('', 'dr');
    expect(rig.machine.roleIn('dr')).to.equal('primary');
    expect(rig.machine.roleIn('performance')).to.equal('secondary');
    expect(rig.relayStored?.kinds).to.deep.equal(['dr']);
    expect(rig.lastListener?.hooks.current()?.clusterId).to.equal(rig.relayStored?.clusterId);
    // The stream's own state is untouched: the relay is stored apart from it.
    expect(await rig.stored()).to.deep.equal(secondaryState);
    await rig.wal.transaction([{ op: 'put', key: 'local/token/id/t', value: Buffer.from('t') }]);
    expect(rig.wal.lastWal, 'its own cluster-local writes are logged for its DR secondary').to.equal(1);

    await rig.machine.changePrimary(
      async (state) => ({
        next: { ...state, secondaries: { d1: { id: 'd1', certSerial: 'd1', issuedAt: '', tokenExpiresAt: '', kind: 'dr' } } },
        result: undefined,
      }),
      'dr',
    );
    expect(Object.keys(rig.relayStored?.secondaries ?? {})).to.deep.equal(['d1']);
    // It keeps following its primary while it has a DR secondary of its own.
    expect((await refusal(rig.machine.promoteSecondary('', true, 'performance'))).message).to.match(/disable DR replication on it/);
    expect((await refusal(rig.machine.disableSecondary('performance'))).message).to.match(/disable DR replication on it/);

    await rig.machine.disablePrimary('dr');
    expect(rig.relayStored).to.equal(undefined);
    expect(rig.machine.roleIn('dr')).to.equal('disabled');
    expect(rig.lastListener?.isStopped).to.equal(true);
    await rig.wal.transaction([{ op: 'put', key: 'local/token/id/u', value: Buffer.from('u') }]);
    expect(rig.wal.lastWal, 'no longer relaying').to.equal(1);
  });
});
