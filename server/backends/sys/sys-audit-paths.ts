import type { AuditDeviceEntry } from '../../core/audit/audit-device.js';
import type { DeviceAuditBroker } from '../../core/audit/device-audit-broker.js';
import type { PathDefinition } from '../../core/path-table.js';
import { invalidRequest } from '../../core/vault-error.js';

/** The JSON shape Vault returns for one audit device (never the salt). */
export function auditDeviceView(entry: AuditDeviceEntry): Record<string, unknown> {
  return { type: entry.type, description: entry.description, options: { ...entry.options }, local: entry.local, path: entry.path };
}

function stringOptions(raw: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw invalidRequest(`invalid value for options.${k}: expected a string`);
    out[k] = String(v);
  }
  return out;
}

/** `sys/audit` (list), `sys/audit/:path` (enable, disable) and `sys/audit-hash/:path`. */
export function auditPaths(broker: DeviceAuditBroker): PathDefinition[] {
  const list = async () => {
    const data: Record<string, unknown> = {};
    for (const entry of broker.entries()) data[entry.path] = auditDeviceView(entry);
    return { data, injectDataAtTopLevel: true };
  };
  return [
    { pattern: 'audit/?', operations: { read: list, list } },
    {
      pattern: 'audit/(?<path>.+)',
      fields: { type: { type: 'string' }, description: { type: 'string' }, options: { type: 'map' }, local: { type: 'bool' } },
      operations: {
        update: async ({ captures, fields }) => {
          const type = fields.string('type');
          if (type === '') throw invalidRequest('type is required');
          await broker.enable({
            path: captures.path as string,
            type,
            description: fields.string('description'),
            options: stringOptions(fields.map('options')),
            local: fields.bool('local'),
          });
          return {};
        },
        delete: async ({ captures }) => {
          await broker.disable(captures.path as string);
          return {};
        },
      },
    },
    {
      pattern: 'audit-hash/(?<path>.+)',
      fields: { input: { type: 'string' } },
      operations: {
        update: async ({ captures, fields }) => ({ data: { hash: broker.hash(captures.path as string, fields.string('input')) }, injectDataAtTopLevel: true }),
      },
    },
  ];
}
