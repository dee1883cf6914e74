import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { SerialQueue } from '../../storage/serial-queue.js';
import type { AuditBroker } from '../audit-broker.js';
import type { Barrier } from '../barrier.js';
import type { LogicalRequest, LogicalResponse } from '../logical.js';
import type { ReplicationView } from '../replication-role.js';
import type { Route } from '../router.js';
import { invalidRequest, VaultError } from '../vault-error.js';
import type { AuditDevice, AuditDeviceEntry } from './audit-device.js';
import { AuditDeviceTable } from './audit-device-table.js';
import type { AuditEvent } from './audit-entry.js';
import { FileAuditDevice, validateFileOptions } from './file-audit-device.js';
import { assertJsonDepthWithin } from './json-depth.js';

/** The parts of the core the audit broker works with (the core passes itself). */
interface AuditCore {
  readonly barrier: Barrier;
  readonly logger: Logger;
  readonly replication: ReplicationView;
  route(path: string): Route | undefined;
}

/** Paths Vault never audits: the seal lifecycle and health probes. */
const UNAUDITED_PATHS = new Set(['sys/init', 'sys/seal-status', 'sys/unseal', 'sys/health', 'sys/leader']);

/**
 * A root token disabling an audit device. Vault audits this request like any other, so a
 * single device that stops taking entries refuses even its own removal (the operator must
 * repair the target). Ferry lets exactly this request through when no device can log it, so a
 * broken device can always be removed; every other request, root's included, still fails closed.
 */
function isRootAuditDisable(req: LogicalRequest): boolean {
  return req.operation === 'delete' && req.auth?.isRoot === true && /^sys\/audit\/[^/]/.test(req.path);
}

export interface EnableAuditInput {
  readonly path: string;
  readonly type: string;
  readonly description: string;
  readonly options: Record<string, string>;
  readonly local: boolean;
}

/** Canonical device path: no leading slash, one trailing slash, no empty or dot segments. */
export function normalizeAuditPath(raw: string): string {
  let path = raw.trim();
  if (path.startsWith('/')) path = path.slice(1);
  if (path === '' || path === '/') throw invalidRequest('audit device path cannot be empty');
  if (!path.endsWith('/')) path += '/';
  for (const segment of path.slice(0, -1).split('/')) {
    if (segment === '' || segment === '.' || segment === '..') throw invalidRequest('invalid audit device path');
    if (!/^[A-Za-z0-9_.\-@]+$/.test(segment)) throw invalidRequest('invalid audit device path: unsupported characters');
  }
  return path;
}

/**
 * The audit broker over the device table: fans each event out to every enabled device in
 * parallel and refuses the request (fails closed) when devices exist and none recorded it.
 * The core's `audit` field: it holds no devices while sealed, `reload()` re-reads the table at
 * unseal, after a local change, and when the invalidation dispatcher routes a change of
 * `core/audit` or `local/core/audit` to it (a replicated or HA-standby view of storage).
 */
export class DeviceAuditBroker implements AuditBroker {
  private devices: AuditDevice[] = [];
  private readonly table: AuditDeviceTable;
  private readonly logger: Logger;
  /** Table edits are read-modify-write: one at a time. */
  private readonly edits = new SerialQueue();

  constructor(private readonly core: AuditCore) {
    this.table = new AuditDeviceTable(core.barrier);
    this.logger = core.logger.child({ module: 'audit' });
  }

  get deviceCount(): number {
    return this.devices.length;
  }

  /** The enabled devices' stored entries (salts included; callers must not expose them). */
  entries(): readonly AuditDeviceEntry[] {
    return this.devices.map((d) => d.entry);
  }

  /**
   * Re-reads the table. A device whose stored entry is unchanged is kept (its log file stays
   * open); devices that went away or changed are closed once their queued entries are written.
   */
  async reload(): Promise<void> {
    const entries = await this.table.load();
    const previous = new Map(this.devices.map((d) => [JSON.stringify(d.entry), d]));
    const next = entries.map((entry) => previous.get(JSON.stringify(entry)) ?? new FileAuditDevice(entry));
    const kept = new Set(next);
    this.devices = next;
    for (const d of previous.values()) if (!kept.has(d)) void d.close();
  }

  /** SIGHUP: every file device lets go of its open file and opens the path anew (log rotation). */
  async reopen(): Promise<void> {
    await Promise.all(this.devices.map((d) => d.reopen()));
    if (this.devices.length > 0) this.logger.info({ devices: this.devices.length }, 'reopened audit devices');
  }

  /**
   * Re-reads the table after it changed underneath this core (invalidation), in turn with local
   * enables and disables, so an older read never replaces a newer one.
   */
  async refresh(): Promise<void> {
    await this.edits.run(() => this.reload());
  }

  /** Drops the devices (on seal); the core keeps no audit state while sealed. */
  clear(): void {
    for (const d of this.devices) void d.close();
    this.devices = [];
  }

  async enable(input: EnableAuditInput): Promise<void> {
    await this.edits.run(() => this.enableNow(input));
  }

  async disable(rawPath: string): Promise<void> {
    const path = normalizeAuditPath(rawPath);
    await this.edits.run(async () => {
      if (await this.table.remove(path)) this.logger.info({ path }, 'disabled audit device');
      await this.reload();
    });
  }

  private async enableNow(input: EnableAuditInput): Promise<void> {
    await this.reload();
    const path = normalizeAuditPath(input.path);
    if (input.type !== 'file') throw invalidRequest(`unknown backend type: "${input.type}"`);
    if (!input.local && this.core.replication.mode() === 'secondary') throw invalidRequest('cannot add a non-local audit device to a replication secondary');
    if (this.devices.some((d) => d.entry.path === path)) throw invalidRequest(`path already in use: "${path}"`);
    const entry: AuditDeviceEntry = {
      path,
      type: 'file',
      description: input.description,
      options: validateFileOptions(input.options),
      local: input.local,
      salt: randomBytes(32).toString('base64'),
    };
    // The test write comes first: a device that cannot take an entry is never stored, so it can
    // neither refuse later requests nor come back at the next unseal.
    await new FileAuditDevice(entry).writeTestEntry();
    await this.table.add(entry);
    await this.reload();
    this.logger.info({ path, local: entry.local }, 'enabled audit device');
  }

  /** HMAC of `input` with the named device's salt. */
  hash(rawPath: string, input: string): string {
    const path = normalizeAuditPath(rawPath);
    const device = this.devices.find((d) => d.entry.path === path);
    if (device === undefined) throw invalidRequest('unknown audit backend');
    return device.hash(input);
  }

  async logRequest(req: LogicalRequest, error?: Error): Promise<void> {
    await this.log({ type: 'request', time: new Date().toISOString(), req, error: error?.message, mountType: this.mountTypeOf(req.path) });
  }

  async logResponse(req: LogicalRequest, res: LogicalResponse | undefined, error?: Error): Promise<void> {
    await this.log({ type: 'response', time: new Date().toISOString(), req, res, error: error?.message, mountType: this.mountTypeOf(req.path) });
  }

  private async log(event: AuditEvent): Promise<void> {
    const devices = this.devices;
    if (devices.length === 0 || UNAUDITED_PATHS.has(event.req.path)) return;
    // Bound the depth once, before any device walks the data.
    assertJsonDepthWithin(event.req.data);
    if (event.res?.data) assertJsonDepthWithin(event.res.data);
    // Formatted (and its secrets HMAC'd) once per distinct salt and options, not once per device.
    const rendered = new Map<string, string>();
    const write = (device: AuditDevice): Promise<void> => {
      let text = rendered.get(device.formatKey);
      if (text === undefined) {
        text = device.render(event);
        rendered.set(device.formatKey, text);
      }
      return device.write(text);
    };
    const results = await Promise.allSettled(devices.map(async (d) => write(d)));
    let logged = 0;
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') logged += 1;
      else this.logger.error({ path: devices[i]?.entry.path, code: (result.reason as NodeJS.ErrnoException)?.code ?? 'error' }, 'audit device failed to log');
    });
    if (logged === 0) {
      if (isRootAuditDisable(event.req)) {
        // The one way out of a device that broke after it was enabled: root may always disable.
        this.logger.error({ type: event.type, request_id: event.req.id }, 'no audit device could log the event; allowing root to disable an audit device');
        return;
      }
      this.logger.error({ type: event.type, request_id: event.req.id }, 'no audit device could log the event; refusing the request');
      throw new VaultError('internal', `failed to log ${event.type}`);
    }
  }

  private mountTypeOf(path: string): string {
    try {
      return this.core.route(path)?.entry.type ?? '';
    } catch {
      return '';
    }
  }
}
