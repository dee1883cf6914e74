import { expect } from 'chai';
import { connect, createServer } from 'node:net';
import { pino } from 'pino';
import type { Core } from '../../../server/core/core.js';
import { createCore } from '../../../server/core/create-core.js';
import { VaultError } from '../../../server/core/vault-error.js';
import { ReplicationManager } from '../../../server/replication/replication-manager.js';
import { replicationPaths } from '../../../server/replication/replication-paths.js';
import { loadReplicationState, STATE_KEY } from '../../../server/replication/replication-state.js';
import { WalStorage } from '../../../server/replication/wal-storage.js';
import type { StorageOp } from '../../../server/storage/backend.js';
import { MemoryBackend } from '../../../server/storage/memory-backend.js';
import { freePort } from '../../helpers/test-cluster.js';

/** Memory storage whose transactions that write the replication state fail while `failStateWrites`. */
class StateWriteFailingBackend extends MemoryBackend {
  failStateWrites = false;

  override async transaction(ops: readonly StorageOp[]): Promise<void> {
    if (this.failStateWrites && ops.some((op) => op.op === 'put' && op.key === STATE_KEY)) throw new Error('disk I/O error');
    return super.transaction(ops);
  }
}

/** True when something accepts TCP connections on the loopback port. */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** True when this process can bind the loopback port (nothing holds it). */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('ReplicationManager role changes', () => {
  let storage: StateWriteFailingBackend;
  let core: Core;
  let manager: ReplicationManager;
  let clusterPort: number;

  beforeEach(async () => {
    storage = new StateWriteFailingBackend();
    const wal = new WalStorage(storage, 1000);
    await wal.open();
    const logger = pino({ level: 'silent' });
    clusterPort = await freePort();
    core = createCore({
      physical: wal,
      logger,
      clusterName: 'test',
      apiAddr: 'http://127.0.0.1:1',
      clusterAddr: `https://127.0.0.1:${clusterPort}`,
      isDev: false,
    });
    manager = new ReplicationManager({ core, wal, logger, apiAddr: 'http://127.0.0.1:1', clusterAddr: `https://127.0.0.1:${clusterPort}`, isDev: false });
    core.attachReplication(manager, replicationPaths(manager));
    await core.initialize(1, 1, { stayUnsealed: true });
  });
  afterEach(async () => {
    storage.failStateWrites = false;
    await core.sealCore();
  });

  async function refused(change: Promise<unknown>): Promise<Error> {
    const err = await change.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err, 'the role change should have failed').to.be.instanceOf(Error);
    return err as Error;
  }

  it('restores a disabled cluster when storing the primary role fails: no listener left, nothing stored', async () => {
    storage.failStateWrites = true;
    expect((await refused(manager.enablePrimary(''))).message).to.contain('disk I/O error');
    expect(manager.mode()).to.equal('disabled');
    expect((await loadReplicationState(core.barrier)).role).to.equal('disabled');
    expect(await isFree(clusterPort)).to.equal(true);
    storage.failStateWrites = false;
    await manager.enablePrimary('');
    expect(manager.mode()).to.equal('primary');
    expect(await isListening(clusterPort)).to.equal(true);
  });

  it('keeps a primary serving when disabling or demoting it cannot be stored', async () => {
    await manager.enablePrimary('');
    const before = manager.current;
    storage.failStateWrites = true;
    await refused(manager.disablePrimary());
    expect(manager.current).to.deep.equal(before);
    expect(await isListening(clusterPort)).to.equal(true);
    await refused(manager.demotePrimary());
    expect(manager.current).to.deep.equal(before);
    expect(await isListening(clusterPort)).to.equal(true);
    expect(await loadReplicationState(core.barrier)).to.deep.equal(before);
  });

  it('refuses enable-primary on a cluster address in use with a typed 400 naming it', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(clusterPort, '127.0.0.1', () => resolve()));
    try {
      const err = await refused(manager.enablePrimary(''));
      expect(err).to.be.instanceOf(VaultError).with.property('status', 400);
      expect(err.message).to.equal(`cluster address 127.0.0.1:${clusterPort} is already in use`);
      expect(manager.mode()).to.equal('disabled');
      expect((await loadReplicationState(core.barrier)).role).to.equal('disabled');
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });
});
