import { expect } from 'chai';
import { WARNINGS } from '../../../server/replication/replication-warnings.js';
import { activationToken, bundleFor, installedState, portInUse, refusal, Rig } from './role-fakes.js';

const NO_TRUST = { caFile: '', caPath: '' };

describe('ReplicationStateMachine', () => {
  let rig: Rig;

  beforeEach(async () => {
    rig = await Rig.started();
  });
  afterEach(async () => {
    await rig.machine.pause();
  });

  async function asPrimary(): Promise<void> {
    await rig.machine.enablePrimary('');
  }

  async function asSecondary(): Promise<void> {
    await rig.machine.enableSecondary(activationToken(), '', NO_TRUST);
  }

  describe('transitions', () => {
    it('starts disabled with nothing stored, the WAL off and nothing running', async () => {
      expect(rig.machine.mode()).to.equal('disabled');
      expect((await rig.stored()).role).to.equal('disabled');
      expect(rig.listeners).to.have.length(0);
      expect(rig.streams).to.have.length(0);
      expect(await rig.walRole()).to.equal('off');
    });

    it('enables a primary: epoch 1, a listener bound with its TLS material, peers refused until the role is stored', async () => {
      expect(await rig.machine.enablePrimary('10.0.0.1:8201')).to.deep.equal([WARNINGS.primaryEnable]);
      const state = await rig.stored();
      if (state.role !== 'primary') throw new Error('expected a primary');
      expect(state.epoch).to.equal(1);
      expect(state.primaryClusterAddr).to.equal('10.0.0.1:8201');
      expect(state.ca.certPem).to.contain('BEGIN CERTIFICATE');
      const listener = rig.lastListener;
      expect(rig.currentAtBind).to.deep.equal([undefined]);
      expect(listener?.state).to.deep.equal(state);
      expect(listener?.hooks.current()).to.deep.equal(state);
      expect(rig.machine.listener).to.equal(listener);
      expect(await rig.walRole()).to.equal('primary');
    });

    it('disables a primary: listener stopped, WAL off, role stored as disabled', async () => {
      await asPrimary();
      expect(await rig.machine.disablePrimary()).to.deep.equal([WARNINGS.disable]);
      expect(rig.lastListener?.isStopped).to.equal(true);
      expect(rig.machine.listener).to.equal(undefined);
      expect((await rig.stored()).role).to.equal('disabled');
      expect(await rig.walRole()).to.equal('off');
    });

    it('demotes a primary to a secondary that follows nobody, keeping its cluster id, epoch and WAL position', async () => {
      await asPrimary();
      await rig.walRole(); // one WAL entry written as primary
      const primary = rig.machine.current;
      if (primary.role !== 'primary') throw new Error('expected a primary');
      expect(await rig.machine.demotePrimary()).to.deep.equal([WARNINGS.demote]);
      const state = await rig.stored();
      if (state.role !== 'secondary') throw new Error('expected a secondary');
      expect(state).to.include({ clusterId: primary.clusterId, epoch: primary.epoch, primaryClusterAddr: '', lastRemoteWal: 1, needsResync: true });
      expect(rig.lastListener?.isStopped).to.equal(true);
      expect(rig.streams).to.have.length(0);
      expect(await rig.walRole()).to.equal('secondary');
    });

    it('enables a secondary: bootstrapping during the install, then streaming from the primary the bundle names', async () => {
      expect(await rig.machine.enableSecondary(activationToken(), '', NO_TRUST)).to.deep.equal([WARNINGS.secondaryEnable]);
      expect(rig.modeDuringInstall).to.equal('bootstrapping');
      expect(rig.machine.mode()).to.equal('secondary');
      expect(await rig.stored()).to.deep.equal(installedState(bundleFor()));
      expect(rig.lastStream?.state).to.deep.equal(installedState(bundleFor()));
      expect(rig.machine.stream).to.equal(rig.lastStream);
      expect(await rig.walRole()).to.equal('secondary');
    });

    it('adopts each state the stream commits', async () => {
      await asSecondary();
      const next = { ...installedState(bundleFor()), lastRemoteWal: 42 };
      rig.lastStream?.onState(next);
      expect(rig.machine.current).to.deep.equal(next);
    });

    it('disables a secondary: stream stopped, WAL off, role stored as disabled', async () => {
      await asSecondary();
      expect(await rig.machine.disableSecondary()).to.deep.equal([WARNINGS.disable]);
      expect(rig.lastStream?.isStopped).to.equal(true);
      expect((await rig.stored()).role).to.equal('disabled');
      expect(await rig.walRole()).to.equal('off');
    });

    it('promotes a secondary under the next epoch: listener bound before the stream stops, WAL continued, old primary told', async () => {
      await asSecondary();
      rig.events.length = 0;
      expect(await rig.machine.promoteSecondary('', false)).to.deep.equal([WARNINGS.promote, WARNINGS.otherSecondaries]);
      expect(rig.events).to.deep.equal(['bind (epoch 2)', 'stream stopped (sec-1)']);
      const state = await rig.stored();
      if (state.role !== 'primary') throw new Error('expected a primary');
      expect(state).to.include({ clusterId: 'cluster-a', epoch: 2 });
      expect(state.secondaries).to.deep.equal({});
      expect(rig.wal.lastWal).to.equal(7);
      expect(rig.notified).to.have.length(1);
      expect(rig.notified[0]).to.deep.include({ epoch: 2, old: installedState(bundleFor()) });
      expect(await rig.walRole()).to.equal('primary');
      expect(rig.wal.lastWal).to.equal(8);
    });

    it('promotes a detached secondary without telling any old primary, and stops telling one when it steps down again', async () => {
      await asPrimary();
      await rig.machine.demotePrimary();
      await rig.machine.promoteSecondary('', false);
      expect(rig.notified).to.have.length(0);
      expect((await rig.stored()).role).to.equal('primary');

      const other = new Rig();
      await other.wal.open();
      await other.machine.enableSecondary(activationToken(), '', NO_TRUST);
      await other.machine.promoteSecondary('', true);
      await other.machine.demotePrimary();
      expect(other.notified[0]?.isStopped).to.equal(true);
    });

    it('points a secondary at a new primary of the same set with a Merkle resync, and forgets it with an empty token', async () => {
      await asSecondary();
      rig.unwrapped = bundleFor({ id: 'sec-2', epoch: 3, primary_cluster_addr: '127.0.0.1:3' });
      expect(await rig.machine.updatePrimary(activationToken(), '', NO_TRUST)).to.deep.equal([]);
      expect(rig.streams[0]?.isStopped).to.equal(true);
      const state = await rig.stored();
      expect(state).to.deep.include({ secondaryId: 'sec-2', epoch: 3, primaryClusterAddr: '127.0.0.1:3', lastRemoteWal: 7, needsResync: true });
      expect(rig.lastStream?.state).to.deep.equal(state);

      await rig.machine.updatePrimary('', '', NO_TRUST);
      expect(rig.lastStream?.isStopped).to.equal(true);
      expect(await rig.stored()).to.deep.include({ primaryClusterAddr: '', epoch: 3, lastRemoteWal: 7 });
      expect(rig.machine.stream).to.equal(undefined);
    });

    it('resumes the stored role after unseal and stops everything before seal', async () => {
      await asPrimary();
      await rig.machine.pause();
      expect(rig.lastListener?.isStopped).to.equal(true);
      await rig.machine.resume();
      expect(rig.listeners).to.have.length(2);
      expect(rig.lastListener?.isStopped).to.equal(false);
      expect(await rig.walRole()).to.equal('primary');
    });

    it('records secondaries through changePrimary and revokes them, cutting their connection', async () => {
      await asPrimary();
      await rig.machine.changePrimary(async (state) => ({
        next: { ...state, secondaries: { a: { id: 'a', certSerial: '01', issuedAt: '', tokenExpiresAt: '' } } },
        result: undefined,
      }));
      expect(Object.keys(((await rig.stored()) as { secondaries: object }).secondaries)).to.deep.equal(['a']);
      await rig.machine.revokeSecondary('a');
      expect(((await rig.stored()) as { secondaries: object }).secondaries).to.deep.equal({});
      expect(rig.lastListener?.disconnected).to.deep.equal(['a']);
      expect((await refusal(rig.machine.revokeSecondary('a'))).message).to.equal('no secondary with id "a"');
    });

    it('recovers a streaming secondary by restarting its stream, and says so when there is nothing to recover', async () => {
      expect(await rig.machine.recover()).to.deep.equal(['nothing to recover: this cluster is not streaming from a primary']);
      await asSecondary();
      expect(await rig.machine.recover()).to.deep.equal(['replication stream restarted']);
      expect(rig.streams).to.have.length(2);
      expect(rig.streams[0]?.isStopped).to.equal(true);
      expect(rig.machine.stream).to.equal(rig.streams[1]);
    });
  });

  describe('refusals leave the role as it was', () => {
    async function refusedWithoutChange(change: () => Promise<unknown>, message: string | RegExp): Promise<void> {
      const before = await rig.stored();
      const stopped = (): number => rig.listeners.filter((l) => l.isStopped).length + rig.streams.filter((s) => s.isStopped).length;
      const stoppedBefore = stopped();
      const listeners = rig.listeners.length;
      const streams = rig.streams.length;
      const err = await refusal(change());
      expect(err.status).to.equal(400);
      if (typeof message === 'string') expect(err.message).to.equal(message);
      else expect(err.message).to.match(message);
      expect(await rig.stored()).to.deep.equal(before);
      expect(rig.listeners).to.have.length(listeners);
      expect(rig.streams).to.have.length(streams);
      expect(stopped(), 'nothing running was stopped').to.equal(stoppedBefore);
    }

    it('refuses enable-secondary, a second enable-primary, promote and disable-secondary on a primary', async () => {
      await asPrimary();
      await refusedWithoutChange(
        () => rig.machine.enableSecondary(activationToken(), '', NO_TRUST),
        'this cluster is a replication primary; disable or demote it before enabling it as a secondary',
      );
      await refusedWithoutChange(() => rig.machine.enablePrimary(''), 'replication is already enabled as a primary on this cluster');
      await refusedWithoutChange(() => rig.machine.promoteSecondary('', true), 'this cluster is not a replication secondary');
      await refusedWithoutChange(() => rig.machine.disableSecondary(), 'this cluster is not a replication secondary');
      await refusedWithoutChange(() => rig.machine.updatePrimary(activationToken(), '', NO_TRUST), 'this cluster is not a replication secondary');
      expect(rig.unwrapCalls).to.equal(0);
    });

    it('refuses enable-primary, a second enable-secondary, demote and disable-primary on a secondary', async () => {
      await asSecondary();
      await refusedWithoutChange(() => rig.machine.enablePrimary(''), /^cannot enable replication as a primary on a replication secondary/);
      await refusedWithoutChange(
        () => rig.machine.enableSecondary(activationToken(), '', NO_TRUST),
        'this cluster is already a replication secondary; use update-primary to change its primary',
      );
      await refusedWithoutChange(() => rig.machine.demotePrimary(), 'this cluster is not a replication primary');
      await refusedWithoutChange(() => rig.machine.disablePrimary(), 'this cluster is not a replication primary');
      await refusedWithoutChange(() => rig.machine.changePrimary(async (state) => ({ next: state, result: 0 })), 'this cluster is not a replication primary');
    });

    it('refuses to promote a secondary still connected to a live primary unless forced', async () => {
      await asSecondary();
      if (rig.lastStream) rig.lastStream.isConnected = true;
      await refusedWithoutChange(() => rig.machine.promoteSecondary('', false), /^this secondary is still connected to a live primary/);
      await rig.machine.promoteSecondary('', true);
      expect((await rig.stored()).role).to.equal('primary');
    });

    it('refuses an activation token it can check itself before asking the primary anything', async () => {
      await refusedWithoutChange(() => rig.machine.enableSecondary('not-a-jwt', '', NO_TRUST), 'invalid activation token: not a signed JWT');
      await refusedWithoutChange(
        () => rig.machine.enableSecondary(activationToken({ exp: Math.floor(Date.now() / 1000) - 60 }), '', NO_TRUST),
        'invalid activation token: expired',
      );
      await refusedWithoutChange(
        () => rig.machine.enableSecondary(activationToken({ addr: undefined }), '', NO_TRUST),
        'the activation token carries no primary API address; set primary_api_addr',
      );
      expect(rig.unwrapCalls).to.equal(0);
      expect(rig.machine.mode()).to.equal('disabled');
    });

    it('refuses update-primary to another replication set or an older epoch', async () => {
      await asSecondary();
      rig.unwrapped = bundleFor({ cluster_id: 'cluster-b' });
      await refusedWithoutChange(() => rig.machine.updatePrimary(activationToken(), '', NO_TRUST), /^the token belongs to a different replication set/);
      await rig.machine.promoteSecondary('', true);
      await rig.machine.demotePrimary(); // detached at epoch 2
      rig.unwrapped = bundleFor({ epoch: 1 });
      await refusedWithoutChange(
        () => rig.machine.updatePrimary(activationToken(), '', NO_TRUST),
        'the token comes from a primary of an older replication epoch (1 < 2)',
      );
    });
  });

  describe('a failed role change restores the previous role', () => {
    it('leaves a disabled cluster disabled when the listener cannot bind, with nothing stored', async () => {
      rig.bindFailure = portInUse();
      expect((await refusal(rig.machine.enablePrimary(''))).message).to.equal('cluster address 127.0.0.1:8201 is already in use');
      expect(rig.machine.mode()).to.equal('disabled');
      expect(await rig.wal.get('local/replication/state')).to.equal(undefined);
      expect(await rig.walRole()).to.equal('off');
    });

    it('keeps a secondary streaming when the listener for its promotion cannot bind', async () => {
      await asSecondary();
      const before = await rig.stored();
      rig.bindFailure = portInUse();
      await refusal(rig.machine.promoteSecondary('', true));
      expect(await rig.stored()).to.deep.equal(before);
      expect(rig.streams).to.have.length(1);
      expect(rig.lastStream?.isStopped).to.equal(false);
      expect(rig.machine.stream).to.equal(rig.lastStream);
      expect(rig.notified).to.have.length(0);
    });

    it('stops the listener it bound when storing the primary role fails', async () => {
      rig.failStateWrites = true;
      const err = await rig.machine.enablePrimary('').then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).to.equal('disk I/O error');
      expect(rig.lastListener?.isStopped).to.equal(true);
      expect(rig.machine.listener).to.equal(undefined);
      rig.failStateWrites = false;
      expect((await rig.stored()).role).to.equal('disabled');
    });

    it('returns a secondary to streaming when storing its promotion fails', async () => {
      await asSecondary();
      const before = await rig.stored();
      rig.failStateWrites = true;
      await rig.machine.promoteSecondary('', true).catch(() => undefined);
      rig.failStateWrites = false;
      expect(await rig.stored()).to.deep.equal(before);
      expect(rig.lastListener?.isStopped).to.equal(true);
      expect(rig.streams).to.have.length(2);
      expect(rig.machine.stream).to.equal(rig.streams[1]);
      expect(rig.notified).to.have.length(0);
      expect(await rig.walRole()).to.equal('secondary');
    });

    it('keeps a primary serving when disabling or demoting it cannot be stored', async () => {
      await asPrimary();
      const before = await rig.stored();
      rig.failStateWrites = true;
      await rig.machine.disablePrimary().catch(() => undefined);
      await rig.machine.demotePrimary().catch(() => undefined);
      rig.failStateWrites = false;
      expect(await rig.stored()).to.deep.equal(before);
      expect(rig.listeners).to.have.length(3);
      expect(rig.machine.listener).to.equal(rig.lastListener);
      expect(rig.lastListener?.isStopped).to.equal(false);
      expect(await rig.walRole()).to.equal('primary');
    });

    it('keeps a secondary streaming when disabling it or forgetting its primary cannot be stored', async () => {
      await asSecondary();
      const before = await rig.stored();
      rig.failStateWrites = true;
      await rig.machine.disableSecondary().catch(() => undefined);
      await rig.machine.updatePrimary('', '', NO_TRUST).catch(() => undefined);
      rig.failStateWrites = false;
      expect(await rig.stored()).to.deep.equal(before);
      expect(rig.streams).to.have.length(3);
      expect(rig.machine.stream).to.equal(rig.lastStream);
      expect(rig.lastStream?.isStopped).to.equal(false);
    });

    it('is disabled again, not bootstrapping, when installing the bootstrap fails', async () => {
      rig.installFailure = new Error('bootstrap download failed');
      await rig.machine.enableSecondary(activationToken(), '', NO_TRUST).catch(() => undefined);
      expect(rig.machine.mode()).to.equal('disabled');
      expect(rig.machine.isActivating).to.equal(false);
      expect((await rig.stored()).role).to.equal('disabled');
    });
  });

  describe('epoch fencing', () => {
    it('steps a primary down to a detached secondary when a peer shows a newer epoch', async () => {
      await asPrimary();
      const primary = rig.machine.current;
      rig.lastListener?.hooks.onNewerEpoch(5);
      await rig.machine.reindex(); // queued behind the fencing
      const state = await rig.stored();
      expect(state).to.deep.include({ role: 'secondary', epoch: 5, fencedByEpoch: 5, primaryClusterAddr: '' });
      expect(state).to.have.property('clusterId', (primary as { clusterId: string }).clusterId);
      expect(rig.lastListener?.isStopped).to.equal(true);
      expect(rig.machine.listener).to.equal(undefined);
      expect(await rig.walRole()).to.equal('secondary');
    });

    it('ignores an epoch that is not newer than its own', async () => {
      await asPrimary();
      const before = await rig.stored();
      rig.lastListener?.hooks.onNewerEpoch(1);
      await rig.machine.fence(0);
      expect(await rig.stored()).to.deep.equal(before);
      expect(rig.lastListener?.isStopped).to.equal(false);
    });

    it('does not fence a cluster that is no longer primary', async () => {
      await asSecondary();
      const before = await rig.stored();
      await rig.machine.fence(9);
      expect(await rig.stored()).to.deep.equal(before);
    });
  });

  describe('role changes run one at a time', () => {
    it("lets one of two concurrent enable-primary calls win; the other sees the first one's result", async () => {
      let release = (): void => undefined;
      rig.bindGate = new Promise<void>((resolve) => (release = resolve));
      const first = rig.machine.enablePrimary('');
      const second = rig.machine.enablePrimary('');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(rig.events.filter((e) => e.startsWith('bind'))).to.have.length(1);
      release();
      expect(await first).to.deep.equal([WARNINGS.primaryEnable]);
      expect((await refusal(second)).message).to.equal('replication is already enabled as a primary on this cluster');
      expect(rig.listeners).to.have.length(1);
    });

    it('loses no secondary when several are recorded at once', async () => {
      await asPrimary();
      const ids = ['a', 'b', 'c', 'd'];
      await Promise.all(
        ids.map((id) =>
          rig.machine.changePrimary(async (state) => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            return { next: { ...state, secondaries: { ...state.secondaries, [id]: { id, certSerial: id, issuedAt: '', tokenExpiresAt: '' } } }, result: id };
          }),
        ),
      );
      expect(Object.keys(((await rig.stored()) as { secondaries: object }).secondaries).sort()).to.deep.equal(ids);
    });

    it('fences only after a running role change finished', async () => {
      await asSecondary();
      let release = (): void => undefined;
      rig.bindGate = new Promise<void>((resolve) => (release = resolve));
      const promotion = rig.machine.promoteSecondary('', true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const fencing = rig.machine.fence(10);
      release();
      await promotion;
      await fencing;
      expect(await rig.stored()).to.deep.include({ role: 'secondary', fencedByEpoch: 10 });
    });
  });
});
