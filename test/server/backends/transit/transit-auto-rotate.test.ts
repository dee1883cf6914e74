import { expect } from 'chai';
import { pino } from 'pino';
import { isRotationDue, rotateDueKeys } from '../../../../server/backends/transit/transit-auto-rotate.js';
import { TransitKeyStore } from '../../../../server/backends/transit/transit-key-store.js';
import { createTransitKey } from '../../../../server/backends/transit/transit-key.js';
import { StorageView } from '../../../../server/core/barrier.js';
import { VaultError } from '../../../../server/core/vault-error.js';
import { MemoryBackend } from '../../../../server/storage/memory-backend.js';

const options = { type: 'aes256-gcm96' as const, derived: false, convergentEncryption: false, exportable: false, allowPlaintextBackup: false, keySize: 0 };
const logger = pino({ level: 'silent' });
const HOUR_MS = 3_600_000;

describe('transit-auto-rotate', () => {
  it('is due once the latest version is as old as the period, never with period 0', async () => {
    const key = await createTransitKey('k', { ...options, autoRotatePeriodSeconds: 3600 });
    const created = Date.parse(key.versions['1']?.creation_time as string);
    expect(isRotationDue(key, created + HOUR_MS - 1)).to.equal(false);
    expect(isRotationDue(key, created + HOUR_MS)).to.equal(true);
    expect(isRotationDue({ ...key, auto_rotate_period_seconds: 0 }, created + 100 * HOUR_MS)).to.equal(false);
  });

  it('rotates only the keys that are due, once per period', async () => {
    const store = new TransitKeyStore(new StorageView(new MemoryBackend(), 'transit/'));
    await store.put(await createTransitKey('hourly', { ...options, autoRotatePeriodSeconds: 3600 }));
    await store.put(await createTransitKey('daily', { ...options, autoRotatePeriodSeconds: 86_400 }));
    await store.put(await createTransitKey('never', { ...options, autoRotatePeriodSeconds: 0 }));
    expect(await rotateDueKeys(store, Date.now() + 2 * HOUR_MS, logger)).to.deep.equal(['hourly']);
    expect((await store.get('hourly'))?.latest_version).to.equal(2);
    expect((await store.get('daily'))?.latest_version).to.equal(1);
    // The new version is fresh: nothing is due right after.
    expect(await rotateDueKeys(store, Date.now() + 1000, logger)).to.deep.equal([]);
  });

  it('does nothing where storage is read-only (a replication secondary)', async () => {
    const memory = new MemoryBackend();
    const store = new TransitKeyStore(new StorageView(memory, 'transit/'));
    await store.put(await createTransitKey('hourly', { ...options, autoRotatePeriodSeconds: 3600 }));
    const readOnly = new TransitKeyStore(
      new StorageView(
        {
          get: (k) => memory.get(k),
          list: (p) => memory.list(p),
          scan: (p, o) => memory.scan(p, o),
          put: async () => {
            throw new VaultError('read_only', 'cannot write to a secondary');
          },
          delete: async () => undefined,
          transaction: async () => undefined,
        },
        'transit/',
      ),
    );
    expect(await rotateDueKeys(readOnly, Date.now() + 2 * HOUR_MS, logger)).to.deep.equal([]);
    expect((await store.get('hourly'))?.latest_version).to.equal(1);
  });
});
