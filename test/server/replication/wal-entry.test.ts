import { expect } from 'chai';
import { VaultError } from '../../../server/core/vault-error.js';
import {
  decodeWalEntry,
  encodeUnnumberedWalEntry,
  encodeWalEntry,
  isJsonWalEntry,
  numberWalEntry,
  walEntryFromJson,
  walEntryToJson,
  withoutDigests,
  type WalEntry,
} from '../../../server/replication/wal-entry.js';

const secret = Buffer.from('s3cr3t-value-never-in-errors');
const entry: WalEntry = {
  index: 4_294_967_301,
  epoch: 3,
  ops: [
    { op: 'put', key: 'logical/kv/data/a', value: secret },
    { op: 'put', key: 'core/empty', value: Buffer.alloc(0) },
    { op: 'put', key: 'logical/kv/data/bin', value: Buffer.from([0, 0x7b, 0xff, 0xc1, 10]) },
    { op: 'delete', key: 'logical/kv/data/b' },
    { op: 'delete-prefix', prefix: 'logical/kv/' },
  ],
};

function refusal(bytes: Uint8Array): VaultError {
  try {
    decodeWalEntry(bytes);
  } catch (err) {
    expect(err).to.be.instanceOf(VaultError);
    expect((err as VaultError).code).to.equal('invalid_request');
    expect((err as Error).message).to.match(/^malformed WAL entry/);
    expect((err as Error).message).to.not.include('s3cr3t');
    return err as VaultError;
  }
  throw new Error('decoded garbage');
}

describe('WAL entries, binary and the older JSON form', () => {
  it('round-trips every op kind, values as raw bytes', () => {
    const bytes = encodeWalEntry(entry);
    expect(isJsonWalEntry(bytes)).to.equal(false);
    const decoded = decodeWalEntry(bytes);
    expect(decoded).to.deep.equal(entry);
    const put = decoded.ops[0];
    expect(Buffer.isBuffer(put?.op === 'put' ? put.value : undefined)).to.equal(true);
    expect(decodeWalEntry(encodeWalEntry({ index: 0, epoch: 0, ops: [] }))).to.deep.equal({ index: 0, epoch: 0, ops: [] });
  });

  it("round-trips a put's Merkle digests; an entry without them (an older primary's) decodes as before", () => {
    const digest = Buffer.from(Array.from({ length: 16 }, (_, i) => i * 17));
    const digested: WalEntry = {
      index: 12,
      epoch: 2,
      ops: [
        { op: 'put', key: 'logical/kv/data/ünïcode key\n"quoted"', value: Buffer.from([0, 0xff, 0x7b]), digest },
        { op: 'delete', key: 'logical/kv/data/gone' },
        { op: 'put', key: 'core/plain', value: Buffer.from('p') },
      ],
    };
    const bytes = encodeWalEntry(digested);
    const decoded = decodeWalEntry(bytes);
    expect(decoded).to.deep.equal(digested);
    const put = decoded.ops[0];
    expect(put?.op === 'put' ? put.digest : undefined).to.deep.equal(digest);
    // As an older primary wrote it (no digests): the same ops, no digest.
    const older = decodeWalEntry(encodeWalEntry(entry));
    expect(older.ops.every((op) => op.op !== 'put' || op.digest === undefined)).to.equal(true);
    expect(older).to.deep.equal(entry);
  });

  it('gives a secondary of an older build the entry without digests, byte for byte as that build wrote it', () => {
    const digest = Buffer.alloc(16, 9);
    const plain: WalEntry = {
      index: 5,
      epoch: 1,
      ops: [
        { op: 'put', key: 'core/a', value: Buffer.from('A') },
        { op: 'delete', key: 'core/b' },
      ],
    };
    const digested: WalEntry = {
      ...plain,
      ops: [
        { op: 'put', key: 'core/a', value: Buffer.from('A'), digest },
        { op: 'delete', key: 'core/b' },
      ],
    };
    expect(withoutDigests(encodeWalEntry(digested))).to.deep.equal(encodeWalEntry(plain));
    const untouched = encodeWalEntry(plain);
    expect(withoutDigests(untouched)).to.equal(untouched);
    const json = Buffer.from(walEntryToJson(digested));
    expect(withoutDigests(json)).to.equal(json);
    // The JSON form (NDJSON to the oldest builds) never carries digests.
    expect(decodeWalEntry(json)).to.deep.equal(plain);
  });

  it('stores the value once, without base64 or field names: smaller than the JSON form', () => {
    const one: WalEntry = { index: 9, epoch: 1, ops: [{ op: 'put', key: 'logical/kv/data/k', value: Buffer.alloc(127, 1) }] };
    const bytes = encodeWalEntry(one);
    expect(bytes.length).to.be.lessThan(127 + 'logical/kv/data/k'.length + 12);
    expect(bytes.length).to.be.lessThan(Buffer.byteLength(walEntryToJson(one)));
  });

  it('still reads a row of the older JSON form (a node upgraded in place), told apart by its first byte', () => {
    const json = Buffer.from(walEntryToJson(entry));
    expect(isJsonWalEntry(json)).to.equal(true);
    expect(decodeWalEntry(json)).to.deep.equal(entry);
    expect(walEntryFromJson(JSON.parse(json.toString('utf8')))).to.deep.equal(entry);
  });

  it('numbers an entry encoded before its index was known, in place, for any index up to 2^53 and any number of ops', () => {
    // One op (a fixarray), then 20 puts (an array 16 header): the index sits after headers of both sizes.
    const many = Array.from({ length: 20 }, (_, i) => ({ op: 'put' as const, key: `logical/kv/${i}`, value: Buffer.from([i]) }));
    for (const ops of [[{ op: 'delete' as const, key: 'core/x' }], many]) {
      const unnumbered = encodeUnnumberedWalEntry(7, ops);
      for (const index of [1, 300, 4_294_967_295, 4_294_967_296, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER - 1]) {
        const decoded = decodeWalEntry(numberWalEntry(unnumbered, index));
        expect(decoded).to.deep.equal({ index, epoch: 7, ops });
      }
    }
  });

  it('refuses garbage with a typed error that does not quote it', () => {
    const bytes = encodeWalEntry(entry);
    refusal(Buffer.from([0xc1]));
    refusal(Buffer.alloc(0));
    refusal(bytes.subarray(0, bytes.length - 3));
    refusal(Buffer.concat([bytes, Buffer.from([1])]));
    refusal(Buffer.from('{"index":1,"epoch":1,"ops":[{"op":"put","key":"k","value":"s3cr3t"'));
    refusal(Buffer.from(JSON.stringify({ index: -1, epoch: 1, ops: [] })));
    refusal(Buffer.from(JSON.stringify({ index: 1, epoch: 1, ops: [{ op: 'put', key: 'k' }] })));
    refusal(Buffer.from(JSON.stringify({ index: 1, epoch: 1, ops: [{ op: 'rename', key: 's3cr3t' }] })));
    // A msgpack value that is not a version-1 entry: another version, a missing value, an unknown kind.
    const withSecret = encodeWalEntry({ index: 1, epoch: 1, ops: [{ op: 'put', key: 'k', value: secret }] });
    refusal(Buffer.concat([Buffer.from([0x95, 0x02]), withSecret.subarray(2)]));
    refusal(encodeWalEntry({ index: 1, epoch: 1, ops: [{ op: 'delete', key: 'k' }] }).subarray(0, 6));
    const unknownKind = Buffer.from(withSecret);
    unknownKind[4] = 0x07;
    refusal(unknownKind);
    // A digested put whose digests are missing or of the wrong size.
    const digested = encodeWalEntry({ index: 1, epoch: 1, ops: [{ op: 'put', key: 'k', value: secret, digest: Buffer.alloc(16) }] });
    refusal(digested.subarray(0, digested.length - 18));
    refusal(encodeWalEntry({ index: 1, epoch: 1, ops: [{ op: 'put', key: 'k', value: secret, digest: Buffer.alloc(15) }] }));
  });
});
