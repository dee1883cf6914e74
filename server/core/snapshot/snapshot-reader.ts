import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { StorageEntry } from '../../storage/backend.js';
import { invalidRequest } from '../vault-error.js';
import { parseSnapshotHeader, type SnapshotHeader, type SnapshotTrailer } from './snapshot-header.js';

/** A snapshot whose checksum and key count were checked: nothing in it was altered or cut. */
export interface VerifiedSnapshot {
  readonly header: SnapshotHeader;
  readonly entries: StorageEntry[];
  readonly sha256: string;
  readonly bytes: number;
}

const invalid = (why: string) => invalidRequest(`snapshot is not valid: ${why}; nothing was changed`);

/**
 * Reads a snapshot file and verifies it completely (format, every line, the SHA-256 of the body
 * and the key count) before anything is returned, so a restore changes nothing unless all of it
 * is sound. Entries are held in memory: a restore commits them in one transaction.
 */
export async function readSnapshotFile(path: string): Promise<VerifiedSnapshot> {
  const hash = createHash('sha256');
  const entries: StorageEntry[] = [];
  let header: SnapshotHeader | undefined;
  let trailer: SnapshotTrailer | undefined;
  let bytes = 0;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    bytes += Buffer.byteLength(line) + 1;
    if (trailer !== undefined) throw invalid('data follows the checksum');
    if (header === undefined) {
      header = parseSnapshotHeader(line);
      hash.update(line + '\n');
      continue;
    }
    if (line.startsWith('{')) {
      trailer = parseTrailer(line);
      continue;
    }
    hash.update(line + '\n');
    entries.push(parseEntry(line));
  }
  if (header === undefined) throw invalid('the file is empty');
  if (trailer === undefined) throw invalid('the file is truncated (no checksum)');
  const digest = hash.digest();
  const expected = Buffer.from(trailer.sha256, 'hex');
  if (expected.length !== digest.length || !timingSafeEqual(expected, digest)) throw invalid('the checksum does not match');
  if (trailer.key_count !== entries.length || header.key_count !== entries.length) throw invalid('the key count does not match');
  return { header, entries, sha256: trailer.sha256, bytes };
}

function parseTrailer(line: string): SnapshotTrailer {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw invalid('the checksum line is not JSON');
  }
  const t = value as Partial<SnapshotTrailer> | null;
  if (t === null || typeof t.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(t.sha256) || typeof t.key_count !== 'number') {
    throw invalid('the checksum line is malformed');
  }
  return t as SnapshotTrailer;
}

function parseEntry(line: string): StorageEntry {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw invalid('an entry is not JSON');
  }
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || typeof value[1] !== 'string') {
    throw invalid('an entry is malformed');
  }
  return { key: value[0], value: Buffer.from(value[1], 'base64') };
}
