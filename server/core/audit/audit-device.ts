import type { AuditEvent } from './audit-entry.js';

/** One row of an audit device table, as stored (the salt never leaves storage). */
export interface AuditDeviceEntry {
  /** Path with one trailing slash, e.g. `file/`. */
  path: string;
  type: 'file';
  description: string;
  /** Vault's string-valued options: file_path, log_raw, hmac_accessor, prefix, format, mode. */
  options: Record<string, string>;
  local: boolean;
  /** Per-device HMAC salt, base64. Replicates with a replicated device. */
  salt: string;
}

/** A live audit device: formats each event with its own salt and options, and writes it. */
export interface AuditDevice {
  readonly entry: AuditDeviceEntry;
  /** Devices with equal keys render every event identically (same salt and format options). */
  readonly formatKey: string;
  /** Formats and appends one entry; resolves only once the write completed, rejects if it failed. */
  log(event: AuditEvent): Promise<void>;
  /** The event as this device's entry (JSON text, no prefix). */
  render(event: AuditEvent): string;
  /** Appends an entry `render` produced (here or on a device with the same `formatKey`); same promise as `log`. */
  write(rendered: string): Promise<void>;
  /** HMAC of `input` with this device's salt (`sys/audit-hash`). */
  hash(input: string): string;
  /** Lets go of the open target (SIGHUP, log rotation); the next entry opens it anew. */
  reopen(): Promise<void>;
  /** Releases the target once queued entries are written (device disabled or replaced, seal). */
  close(): Promise<void>;
}
