import { createHash } from 'node:crypto';

/** A file of a provider package: its path inside the package (forward slashes) and its bytes. */
export interface PackageFile {
  name: string;
  content: Buffer;
  /** Unix permission bits (0o755 for the launcher, 0o644 otherwise). */
  mode: number;
}

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Terraform's `h1:` hash of a provider package (Go's dirhash "Hash1" over the unpacked files): one line
 * `<sha256 hex>  <name>\n` per file, sorted by name, then base64 of the SHA-256 of those lines. It hashes
 * contents and names only — not modes or timestamps — so it is the same for the zip and the unpacked folder.
 */
export function packageHashV1(files: readonly PackageFile[]): string {
  const names = files.map((f) => f.name);
  if (new Set(names).size !== names.length) throw new Error('duplicate file names in a provider package');
  const lines = [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => {
      if (f.name.includes('\n')) throw new Error(`file name with a newline: ${JSON.stringify(f.name)}`);
      return `${sha256Hex(f.content)}  ${f.name}\n`;
    })
    .join('');
  return `h1:${createHash('sha256').update(lines).digest('base64')}`;
}

/** Terraform's `zh:` hash: the SHA-256 of the zip archive itself, as registries list it in SHA256SUMS. */
export function zipHash(zip: Buffer): string {
  return `zh:${sha256Hex(zip)}`;
}

/** The bare hex SHA-256 of a release file, as written in SHA256SUMS. */
export function fileSha256(data: Buffer): string {
  return sha256Hex(data);
}
