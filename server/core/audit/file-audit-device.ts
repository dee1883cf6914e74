import { randomUUID } from 'node:crypto';
import { invalidRequest } from '../vault-error.js';
import type { AuditDevice, AuditDeviceEntry } from './audit-device.js';
import { formatAuditEntry, type AuditEvent } from './audit-entry.js';
import { AuditFileHandle } from './audit-file-handle.js';
import { AuditFileWriter } from './audit-file-writer.js';
import { AuditHasher } from './audit-hasher.js';

/** Options the file device understands; anything else is refused when enabling. */
const FILE_OPTIONS = new Set([
  'file_path',
  'path',
  'log_raw',
  'hmac_accessor',
  'prefix',
  'format',
  'mode',
  'elide_list_responses',
  'fallback',
  'filter',
  'exclude',
]);

/** Parses Vault's string booleans; anything unrecognised is a 400. */
function optionBool(options: Record<string, string>, name: string, fallback: boolean): boolean {
  const value = options[name];
  if (value === undefined || value === '') return fallback;
  if (['true', '1', 't', 'T', 'TRUE', 'True'].includes(value)) return true;
  if (['false', '0', 'f', 'F', 'FALSE', 'False'].includes(value)) return false;
  throw invalidRequest(`invalid value for option "${name}": expected a boolean`);
}

/** Checks a file device's options; returns them normalized (file_path set, format json). */
export function validateFileOptions(options: Record<string, string>): Record<string, string> {
  for (const name of Object.keys(options)) {
    if (!FILE_OPTIONS.has(name)) throw invalidRequest(`unknown option "${name}" for a file audit device`);
    if (['fallback', 'filter', 'exclude'].includes(name) && options[name] !== '' && options[name] !== 'false') {
      throw invalidRequest(`option "${name}" is not supported`);
    }
  }
  const filePath = options.file_path ?? options.path ?? '';
  if (filePath === '') throw invalidRequest('file_path is required');
  if (filePath !== 'stdout' && filePath !== 'discard' && !filePath.startsWith('/'))
    throw invalidRequest('file_path must be an absolute path, "stdout" or "discard"');
  const format = options.format ?? 'json';
  if (format !== 'json') throw invalidRequest(`unsupported format "${format}": only "json" is supported`);
  const mode = options.mode ?? '0600';
  if (!/^0?[0-7]{3}$/.test(mode)) throw invalidRequest('mode must be an octal file mode such as "0600"');
  optionBool(options, 'log_raw', false);
  optionBool(options, 'hmac_accessor', true);
  optionBool(options, 'elide_list_responses', false);
  const normalized: Record<string, string> = { ...options, file_path: filePath, format };
  delete normalized.path;
  return normalized;
}

/**
 * Vault's `file` audit device: one JSON line per event, appended to the file kept open
 * (`AuditFileHandle`: reopened after a failed write and on SIGHUP, for log rotation, as Vault
 * does), or written to stdout. Lines that are ready together go out in one append
 * (`AuditFileWriter`). `discard` accepts and drops entries (useful for benchmarks).
 */
export class FileAuditDevice implements AuditDevice {
  private readonly hasher: AuditHasher;
  private readonly filePath: string;
  private readonly prefix: string;
  private readonly mode: number;
  private readonly logRaw: boolean;
  private readonly hmacAccessor: boolean;
  private readonly writer: AuditFileWriter | undefined;
  private readonly file: AuditFileHandle | undefined;
  /** Devices with the same key render an event identically (same salt and options). */
  readonly formatKey: string;

  constructor(readonly entry: AuditDeviceEntry) {
    const options = entry.options;
    this.hasher = new AuditHasher(Buffer.from(entry.salt, 'base64'));
    this.filePath = options.file_path ?? '';
    this.prefix = options.prefix ?? '';
    this.mode = parseInt(options.mode ?? '0600', 8);
    this.logRaw = optionBool(options, 'log_raw', false);
    this.hmacAccessor = optionBool(options, 'hmac_accessor', true);
    this.formatKey = JSON.stringify([entry.salt, this.logRaw, this.hmacAccessor]);
    if (this.filePath === 'stdout') {
      this.writer = new AuditFileWriter((text) => new Promise<void>((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve()))));
    } else if (this.filePath !== 'discard') {
      const file = new AuditFileHandle(this.filePath, this.mode);
      this.file = file;
      this.writer = new AuditFileWriter((text) => file.append(text));
    }
  }

  /** Lets go of the open log file (SIGHUP): entries after this go to a file opened anew at the path. */
  async reopen(): Promise<void> {
    await this.file?.reopen();
  }

  /** Closes the log file once the entries already queued are written (device disabled or replaced, seal). */
  async close(): Promise<void> {
    await this.file?.close();
  }

  /**
   * Appends one real test entry, as Vault does when a device is enabled, so a target that opens
   * but cannot take data (`/dev/full`, a full disk, a missing directory) is refused before the
   * device is stored. The entry is a formatted `request` event for `sys/audit/test` with no
   * client token and no data: nothing secret is written. stdout and discard are not probed.
   */
  async writeTestEntry(): Promise<void> {
    if (this.filePath === 'stdout' || this.filePath === 'discard') return;
    const probe: AuditEvent = {
      type: 'request',
      time: new Date().toISOString(),
      req: { id: randomUUID(), operation: 'update', path: 'sys/audit/test', data: {}, clientToken: '', query: {}, headers: {}, remoteAddress: '' },
    };
    try {
      await this.log(probe);
      await this.close();
    } catch (err) {
      await this.close();
      throw invalidRequest(
        `audit device "${this.entry.path}" failed its test write to "${this.filePath}": ${(err as NodeJS.ErrnoException).code ?? 'write error'}; the device was not enabled`,
      );
    }
  }

  /** Formats and appends one event. */
  log(event: AuditEvent): Promise<void> {
    return this.write(this.render(event));
  }

  /** The event as this device's JSON entry (no prefix); the same for every device with this `formatKey`. */
  render(event: AuditEvent): string {
    return JSON.stringify(formatAuditEntry(event, { hasher: this.hasher.within(event.req), logRaw: this.logRaw, hmacAccessor: this.hmacAccessor }));
  }

  /** Appends a rendered entry; resolves once the append carrying it completed. */
  async write(rendered: string): Promise<void> {
    await this.writer?.write(`${this.prefix}${rendered}\n`);
  }

  /** Append calls made (each one write of everything that was ready), for metrics. */
  get appendCount(): number {
    return this.writer?.appendCount ?? 0;
  }

  hash(input: string): string {
    return this.hasher.hash(input);
  }
}
