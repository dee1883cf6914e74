import { Barrier } from '../server/core/barrier.js';
import { Seal } from '../server/core/seal.js';
import type { StorageOp } from '../server/storage/backend.js';
import { SqliteBackend } from '../server/storage/sqlite-backend.js';

/**
 * Seeds KV v1 keys straight into a stopped server's SQLite file through the real barrier (the same
 * encrypted entries the server writes), in large transactions: a million keys through HTTP would
 * take most of an hour on this box. Run as its own process by the scale suite:
 *   node dist/bench/scale-seed.js <db> <unseal key, base64> <mount uuid> <first index> <count>
 */
const BATCH = 5000;
const VALUE_PAD = 'x'.repeat(48);

const scaleKey = (mountUuid: string, index: number): string => `logical/${mountUuid}/scale/key-${index}`;

async function seed(dbPath: string, unsealKey: Buffer, mountUuid: string, first: number, count: number): Promise<void> {
  const sqlite = await SqliteBackend.open({ path: dbPath });
  try {
    const barrier = new Barrier(sqlite);
    await new Seal(sqlite, barrier).submitShare(unsealKey);
    if (barrier.isSealed) throw new Error('the unseal key did not open the barrier');
    for (let start = first; start < first + count; start += BATCH) {
      const ops: StorageOp[] = [];
      for (let i = start; i < Math.min(first + count, start + BATCH); i++) {
        ops.push({ op: 'put', key: scaleKey(mountUuid, i), value: Buffer.from(JSON.stringify({ value: `${i}-${VALUE_PAD}` })) });
      }
      await barrier.transaction(ops);
    }
  } finally {
    await sqlite.close();
  }
}

if (process.argv[1]?.endsWith('scale-seed.js') === true) {
  const [db, key, uuid, first, count] = process.argv.slice(2);
  if (db === undefined || key === undefined || uuid === undefined || first === undefined || count === undefined) {
    process.stderr.write('usage: scale-seed.js <db> <unseal key> <mount uuid> <first index> <count>\n');
    process.exit(2);
  }
  seed(db, Buffer.from(key, 'base64'), uuid, Number(first), Number(count)).catch((err: unknown) => {
    process.stderr.write(`seeding failed: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
