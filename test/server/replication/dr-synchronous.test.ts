import { expect } from 'chai';
import { pino } from 'pino';
import { VaultError } from '../../../server/core/vault-error.js';
import { DrSynchronous } from '../../../server/replication/dr-synchronous.js';
import { WalStorage } from '../../../server/replication/wal-storage.js';
import { MemoryBackend } from '../../../server/storage/memory-backend.js';

async function settledNow<T>(promise: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

describe('DrSynchronous', () => {
  let wal: WalStorage;
  let isPrimary: boolean;
  let sync: DrSynchronous;

  beforeEach(async () => {
    wal = new WalStorage(new MemoryBackend(), 1000);
    await wal.open();
    wal.setRole('primary', 1);
    isPrimary = true;
    sync = new DrSynchronous({
      wal,
      logger: pino({ level: 'silent' }),
      timeoutSeconds: 1,
      isPrimary: () => isPrimary,
      isEligible: (id) => id.startsWith('dr-'),
    });
  });

  it('holds the answer of a request that wrote replicated state until a DR secondary acknowledges its last WAL entry', async () => {
    const answer = sync.handle('secret/data/a', async () => {
      await wal.put('logical/kv/a', Buffer.from('1'));
      await wal.put('logical/kv/b', Buffer.from('2'));
      return 'written';
    });
    // Let the writes commit; the answer is still held.
    for (let i = 0; i < 5 && wal.lastWal < 2; i++) await new Promise((r) => setImmediate(r));
    expect(wal.lastWal).to.equal(2);
    expect(await settledNow(answer)).to.equal('pending');
    sync.acks.ack('perf-1', 2);
    expect(await settledNow(answer)).to.equal('pending');
    sync.acks.ack('dr-1', 1);
    expect(await settledNow(answer)).to.equal('pending');
    sync.acks.ack('dr-1', 2);
    expect(await answer).to.equal('written');
    expect(sync.metrics()).to.include('ferry_replication_dr_sync_waits_total 1');
  });

  it('never holds reads, bookkeeping-only writes, replication administration, or anything on a non-primary', async () => {
    await wal.put('logical/kv/seed', Buffer.from('s'));
    expect(await settledNow(sync.handle('secret/data/seed', async () => (await wal.get('logical/kv/seed'))?.toString()))).to.equal('s');
    expect(await settledNow(sync.handle('sys/leader', () => wal.put('local/replication/probe', Buffer.from('t'))))).to.equal(undefined);
    expect(await settledNow(sync.handle('sys/replication/performance/primary/secondary-token', () => wal.put('core/policy/p', Buffer.from('p'))))).to.equal(
      undefined,
    );
    isPrimary = false;
    expect(await settledNow(sync.handle('secret/data/x', () => wal.put('core/policy/q', Buffer.from('q'))))).to.equal(undefined);
    expect(sync.metrics()).to.include('ferry_replication_dr_sync_waits_total 0');
  });

  it('does not hold writes of cluster-local state only (a token): they reach the WAL and stream asynchronously', async () => {
    expect(await settledNow(sync.handle('auth/token/create', () => wal.put('local/token/id/t', Buffer.from('t'))))).to.equal(undefined);
    expect(wal.lastWal, 'the token is in the WAL, for DR secondaries').to.equal(1);
    // A request writing both waits for the entry carrying its replicated write.
    const both = sync.handle('auth/userpass/login/u', async () => {
      await wal.put('local/token/id/u', Buffer.from('u'));
      await wal.put('core/identity/entity/e', Buffer.from('e'));
    });
    for (let i = 0; i < 5 && wal.lastWal < 3; i++) await new Promise((r) => setImmediate(r));
    expect(await settledNow(both)).to.equal('pending');
    sync.acks.ack('dr-1', 2);
    expect(await settledNow(both)).to.equal('pending');
    sync.acks.ack('dr-1', 3);
    expect(await both).to.equal(undefined);
  });

  it('answers 503 "unacknowledged" after the timeout, with the write committed on the primary', async () => {
    const started = Date.now();
    const err = await sync
      .handle('secret/data/late', () => wal.put('logical/kv/late', Buffer.from('L')))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(Date.now() - started).to.be.at.least(950);
    expect(err).to.be.instanceOf(VaultError);
    expect((err as VaultError).status).to.equal(503);
    expect((err as VaultError).message).to.match(/committed on this primary, but no DR secondary acknowledged it within 1s/);
    expect((await wal.get('logical/kv/late'))?.toString()).to.equal('L');
    expect(sync.metrics()).to.include('ferry_replication_dr_sync_timeouts_total 1');
    // Once a DR secondary has caught up, writes are answered again.
    sync.acks.ack('dr-1', wal.lastWal);
    const next = sync.handle('secret/data/next', () => wal.put('logical/kv/next', Buffer.from('N')));
    for (let i = 0; i < 5 && (await settledNow(next)) === 'pending'; i++) sync.acks.ack('dr-1', wal.lastWal);
    expect(await next).to.equal(undefined);
  });

  it('lets a failed request fail as it would, without waiting', async () => {
    const err = await sync
      .handle('secret/data/bad', async () => {
        await wal.put('logical/kv/half', Buffer.from('h'));
        throw new VaultError('invalid_request', 'bad');
      })
      .then(
        () => undefined,
        (e: unknown) => e as VaultError,
      );
    expect(err?.code).to.equal('invalid_request');
  });
});
