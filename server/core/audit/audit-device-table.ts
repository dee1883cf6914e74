import type { LogicalStorage } from '../barrier.js';
import { layout } from '../storage-layout.js';
import type { AuditDeviceEntry } from './audit-device.js';

/**
 * The audit device table: two stored lists, replicated (`core/audit`) and local
 * (`local/core/audit`), so replication tells them apart by key alone, as with mounts.
 */
export class AuditDeviceTable {
  constructor(private readonly storage: LogicalStorage) {}

  /** Every device, replicated ones first. */
  async load(): Promise<AuditDeviceEntry[]> {
    return [...(await this.readList(false)), ...(await this.readList(true))];
  }

  async add(entry: AuditDeviceEntry): Promise<void> {
    const list = await this.readList(entry.local);
    await this.writeList(entry.local, [...list, entry]);
  }

  /** Removes a device by path; false when there was none. */
  async remove(path: string): Promise<boolean> {
    for (const local of [false, true]) {
      const list = await this.readList(local);
      const kept = list.filter((e) => e.path !== path);
      if (kept.length !== list.length) {
        await this.writeList(local, kept);
        return true;
      }
    }
    return false;
  }

  private async readList(local: boolean): Promise<AuditDeviceEntry[]> {
    const raw = await this.storage.get(layout.auditTable(local));
    if (raw === undefined) return [];
    const parsed = JSON.parse(raw.toString('utf8')) as { entries?: AuditDeviceEntry[] };
    return (parsed.entries ?? []).map((e) => ({ ...e, local }));
  }

  private async writeList(local: boolean, entries: AuditDeviceEntry[]): Promise<void> {
    await this.storage.put(layout.auditTable(local), Buffer.from(JSON.stringify({ type: 'audit', entries })));
  }
}
