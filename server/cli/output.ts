import type { JsonObject } from '../api-client/vault-envelope.js';
import type { CliIo } from './cli-io.js';
import { formatHumanDuration } from '../core/duration.js';
import type * as Yaml from 'yaml';
import { UsageError } from './usage-error.js';

/** `-format=`: `table` (default, Vault's `Key  Value` columns), `json` or `yaml` (the value as the server sent it). */
export type OutputFormat = 'table' | 'json' | 'yaml';

export type TableRow = readonly [string, string];

/** Validates `-format`; absent means table. */
export function parseOutputFormat(text: string | undefined): OutputFormat {
  if (text === undefined || text === '' || text === 'table') return 'table';
  if (text === 'json') return 'json';
  if (text === 'yaml' || text === 'yml') return 'yaml';
  throw new UsageError(`Invalid output format: ${text}`);
}

/** Pretty JSON with two-space indentation, as `vault -format=json` prints it. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

let yaml: typeof Yaml | undefined;

/**
 * The yaml package (about 115 KB, most of the CLI bundle) is loaded on the first `-format=yaml` only, from
 * node_modules (cli-bundle-builder.ts leaves it out of the bundle): other commands start without it.
 */
function loadYaml(): typeof Yaml {
  return (yaml ??= process.getBuiltinModule('node:module').createRequire(import.meta.url)('yaml') as typeof Yaml);
}

/** YAML as `vault -format=yaml` prints it (block style, two-space indent). */
export function formatYaml(value: unknown): string {
  return loadYaml().stringify(value, { indent: 2, lineWidth: 0 });
}

/** Renders a value like Go's `%v`: `[a b]` for arrays, `map[k:v]` for objects, `<nil>` for null. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as JsonObject).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${k}:${formatValue(v)}`).join(' ')}]`;
  }
  return String(value);
}

/** Renders a string list like Go's `%q` on `[]string`: `["default" "root"]`. */
export function formatQuotedList(value: unknown): string {
  const items = Array.isArray(value) ? value : [];
  return `[${items.map((item) => JSON.stringify(String(item))).join(' ')}]`;
}

/**
 * Aligns rows into columns the way Vault's columnize output does: every column but the last is
 * padded to its widest cell and joined with four spaces. `header` adds the `Key/---` lines.
 */
export function formatTable(rows: readonly TableRow[], header: TableRow | null = ['Key', 'Value']): string {
  const all: TableRow[] = header === null ? [...rows] : [header, [dashes(header[0]), dashes(header[1])], ...rows];
  const width = Math.max(0, ...all.map(([key]) => key.length));
  return all.map(([key, value]) => `${key.padEnd(width)}    ${value}`.trimEnd()).join('\n') + '\n';
}

function dashes(title: string): string {
  return '-'.repeat(title.length);
}

function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

function asNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0);
}

/** The fields Vault's CLI derives from `wrap_info`, in its order. */
function wrapFields(wrapInfo: JsonObject): [string, unknown][] {
  const fields: [string, unknown][] = [
    ['wrapping_token', wrapInfo.token],
    ['wrapping_accessor', wrapInfo.accessor],
    ['wrapping_token_ttl', formatHumanDuration(asNumber(wrapInfo.ttl))],
    ['wrapping_token_creation_time', wrapInfo.creation_time],
    ['wrapping_token_creation_path', wrapInfo.creation_path],
  ];
  if (typeof wrapInfo.wrapped_accessor === 'string' && wrapInfo.wrapped_accessor !== '') {
    fields.push(['wrapped_accessor', wrapInfo.wrapped_accessor]);
  }
  return fields;
}

/** The fields Vault's CLI derives from `auth`, in its order. */
function authFields(auth: JsonObject): [string, unknown][] {
  const duration = asNumber(auth.lease_duration);
  const fields: [string, unknown][] = [
    ['token', auth.client_token],
    ['token_accessor', auth.accessor],
    // A zero lease on a token means it never expires (root), which Vault shows as ∞.
    ['token_duration', duration === 0 ? '∞' : formatHumanDuration(duration)],
    ['token_renewable', auth.renewable ?? false],
    ['token_policies', auth.token_policies ?? auth.policies ?? []],
    ['identity_policies', auth.identity_policies ?? []],
    ['policies', auth.policies ?? []],
  ];
  const metadata = asObject(auth.metadata);
  for (const key of Object.keys(metadata ?? {}).sort()) fields.push([`token_meta_${key}`, metadata?.[key]]);
  return fields;
}

const QUOTED_LIST_FIELDS = new Set(['token_policies', 'identity_policies', 'policies']);

/**
 * The `Key  Value` rows Vault's CLI prints for a response envelope: lease (or `refresh_interval`),
 * auth, wrap info, then `data` sorted by key.
 */
export function secretRows(secret: JsonObject): TableRow[] {
  const rows: TableRow[] = [];
  const leaseDuration = asNumber(secret.lease_duration);
  if (leaseDuration > 0) {
    if (typeof secret.lease_id === 'string' && secret.lease_id !== '') {
      rows.push(['lease_id', secret.lease_id]);
      rows.push(['lease_duration', formatHumanDuration(leaseDuration)]);
      rows.push(['lease_renewable', String(secret.renewable ?? false)]);
    } else {
      rows.push(['refresh_interval', formatHumanDuration(leaseDuration)]);
    }
  }
  const auth = asObject(secret.auth);
  if (auth !== undefined) {
    for (const [key, value] of authFields(auth)) {
      rows.push([key, QUOTED_LIST_FIELDS.has(key) ? formatQuotedList(value) : formatValue(value)]);
    }
  }
  const wrapInfo = asObject(secret.wrap_info);
  if (wrapInfo !== undefined) {
    for (const [key, value] of wrapFields(wrapInfo)) rows.push([`${key}:`, formatValue(value)]);
  }
  const data = asObject(secret.data);
  for (const key of Object.keys(data ?? {}).sort()) rows.push([key, formatValue(data?.[key])]);
  return rows;
}

/** Looks a `-field=` name up where Vault's CLI does: wrap info, auth, data, then the lease fields. */
export function extractField(secret: JsonObject, field: string): { found: true; value: unknown } | { found: false } {
  const wrapInfo = asObject(secret.wrap_info);
  if (wrapInfo !== undefined) {
    const hit = wrapFields(wrapInfo).find(([key]) => key === field);
    if (hit !== undefined) return { found: true, value: hit[1] };
  }
  const auth = asObject(secret.auth);
  if (auth !== undefined) {
    const hit = authFields(auth).find(([key]) => key === field);
    if (hit !== undefined) return { found: true, value: hit[1] };
  }
  const data = asObject(secret.data);
  if (data !== undefined && Object.hasOwn(data, field)) return { found: true, value: data[field] };
  const lease: Record<string, unknown> = {
    lease_id: secret.lease_id,
    lease_duration: secret.lease_duration,
    lease_renewable: secret.renewable,
    refresh_interval: secret.lease_duration,
  };
  if (Object.hasOwn(lease, field) && lease[field] !== undefined) return { found: true, value: lease[field] };
  return { found: false };
}

const SECRET_FIELDS = ['request_id', 'lease_id', 'lease_duration', 'renewable', 'data', 'warnings', 'wrap_info', 'auth', 'mount_type'] as const;

/**
 * The response as Vault's CLI prints it with `-format=json`: the fields of its `Secret` type only. Some
 * `sys/` endpoints also repeat their data at the top level of the body; those copies are dropped. A body
 * that is not an envelope at all (no `data`, `auth` or `wrap_info`) is printed as it is.
 */
export function vaultSecretShape(secret: JsonObject): JsonObject {
  if (secret.data === undefined && secret.auth === undefined && secret.wrap_info === undefined) return secret;
  const shaped: JsonObject = {};
  for (const key of SECRET_FIELDS) {
    if (secret[key] !== undefined) shaped[key] = secret[key];
  }
  shaped.lease_id ??= '';
  shaped.lease_duration ??= 0;
  shaped.renewable ??= false;
  shaped.warnings ??= null;
  return shaped;
}

/** Writes command results in the chosen format; commands never touch the streams directly. */
export class Printer {
  constructor(
    private readonly io: CliIo,
    readonly format: OutputFormat,
    readonly field: string | undefined,
  ) {}

  out(text: string): void {
    this.io.writeOut(text.endsWith('\n') ? text : `${text}\n`);
  }

  err(text: string): void {
    this.io.writeErr(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** True for `-format=json` and `-format=yaml`: commands print data, not tables or messages. */
  get isStructured(): boolean {
    return this.format !== 'table';
  }

  /** Prints a value as JSON or YAML, per `-format`. */
  structured(value: unknown): void {
    this.io.writeOut(this.format === 'yaml' ? formatYaml(value) : formatJson(value));
  }

  table(rows: readonly TableRow[], header?: TableRow | null): void {
    this.io.writeOut(formatTable(rows, header));
  }

  /**
   * Prints one raw value for `-field`: strings as they are, other values like Go's `%v` (JSON with
   * `-format=json`). No trailing newline when stdout is not a terminal, so `$(ferry read -field=x …)`
   * gets exactly the value.
   */
  rawField(value: unknown): void {
    const text = this.format === 'json' ? JSON.stringify(value, null, 2) : this.format === 'yaml' ? formatYaml(value).trimEnd() : formatValue(value);
    this.io.writeOut(this.io.isStdoutTerminal ? `${text}\n` : text);
  }

  /** Prints a response envelope (or just `-field`). Returns the exit code: 1 when the field is missing. */
  secret(secret: JsonObject): number {
    if (this.field !== undefined) {
      const hit = extractField(secret, this.field);
      if (!hit.found) {
        this.err(`Field "${this.field}" not present in secret`);
        return 1;
      }
      this.rawField(hit.value);
      return 0;
    }
    if (this.isStructured) {
      this.structured(vaultSecretShape(secret));
      return 0;
    }
    const rows = secretRows(secret);
    if (rows.length > 0) this.table(rows);
    this.warnings(secret);
    return 0;
  }

  /** Vault's trailing warning block for table output. */
  warnings(secret: JsonObject): void {
    const warnings = secret.warnings;
    if (!Array.isArray(warnings) || warnings.length === 0) return;
    this.out(`\nWARNING! The following warnings were returned from Ferry:\n\n${warnings.map((w) => `  * ${String(w)}`).join('\n\n')}\n`);
  }
}
