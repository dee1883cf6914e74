import type { JsonObject } from '../api-client/vault-envelope.js';
import type { Printer } from './output.js';

/**
 * Prints `sys/mounts` or `sys/auth` as `vault secrets list`/`vault auth list` do: a `Path Type Accessor
 * Description` table sorted by path (more columns with `-detailed`), or the mount map with `-format`.
 */
export function printMountTable(printer: Printer, response: JsonObject, isDetailed: boolean): void {
  const mounts = (response.data ?? response) as Record<string, JsonObject>;
  const paths = Object.keys(mounts)
    .filter((key) => key.endsWith('/') && typeof mounts[key] === 'object' && mounts[key] !== null)
    .sort();
  if (printer.isStructured) {
    printer.structured(Object.fromEntries(paths.map((path) => [path, mounts[path]])));
    return;
  }
  const header = isDetailed
    ? ['Path', 'Type', 'Accessor', 'Default TTL', 'Max TTL', 'Replication', 'Options', 'Description']
    : ['Path', 'Type', 'Accessor', 'Description'];
  const rows = paths.map((path) => {
    const mount = mounts[path] as JsonObject;
    const config = (mount.config ?? {}) as JsonObject;
    const text = (value: unknown): string => (value === undefined || value === null || value === '' ? 'n/a' : String(value));
    const options = mount.options && typeof mount.options === 'object' ? Object.entries(mount.options as JsonObject) : [];
    const description = typeof mount.description === 'string' ? mount.description : '';
    return isDetailed
      ? [
          path,
          text(mount.type),
          text(mount.accessor),
          ttlText(config.default_lease_ttl),
          ttlText(config.max_lease_ttl),
          mount.local === true ? 'local' : 'replicated',
          options.length === 0 ? 'map[]' : `map[${options.map(([k, v]) => `${k}:${String(v)}`).join(' ')}]`,
          description,
        ]
      : [path, text(mount.type), text(mount.accessor), description];
  });
  printer.out(formatColumns([header, header.map((title) => '-'.repeat(title.length)), ...rows]));
}

function ttlText(value: unknown): string {
  return value === undefined || value === 0 || value === '0' ? 'system' : String(value);
}

/** Columns padded to their widest cell and joined with four spaces, like Vault's columnize. */
export function formatColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('    ')
        .trimEnd(),
    )
    .join('\n');
}
