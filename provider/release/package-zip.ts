import yazl from 'yazl';
import type { PackageFile } from './provider-hash.js';

/**
 * A Date whose local-time fields read as `epochSeconds` in UTC. Zip entries carry MS-DOS timestamps, which
 * yazl fills from a Date's local-time fields: this keeps the archive's bytes the same in every time zone.
 */
function dosTimestamp(epochSeconds: number): Date {
  const utc = new Date(Math.max(epochSeconds, 315_532_800) * 1000); // DOS time starts in 1980
  return new Date(utc.getUTCFullYear(), utc.getUTCMonth(), utc.getUTCDate(), utc.getUTCHours(), utc.getUTCMinutes(), utc.getUTCSeconds());
}

/**
 * Builds a provider package zip that is the same, byte for byte, for the same files and timestamp: entries in
 * name order, one fixed timestamp (the release commit's time), Unix modes, no extra fields. yazl was chosen
 * because it writes exactly what it is given (no implicit directory entries or host-dependent fields) and
 * has no dependencies; fflate and archiver would also do, the latter with far more code.
 */
export async function buildPackageZip(files: readonly PackageFile[], epochSeconds: number): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const mtime = dosTimestamp(epochSeconds);
  for (const file of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    zip.addBuffer(file.content, file.name, { mtime, mode: 0o100000 | file.mode, compress: true, forceDosTimestamp: true });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
