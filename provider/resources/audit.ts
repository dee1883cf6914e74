import { trimSlashes, type FerryClient } from '../client/ferry-client.js';
import type { Diagnostics } from '../framework/diagnostics.js';
import { requiresReplace } from '../framework/plan-modifiers.js';
import { step } from '../framework/client-resource.js';
import type { Schema } from '../framework/schema.js';
import { boolType, mapOf, stringType } from '../framework/value-type.js';
import { objectFromEntries, type ObjectValue } from '../framework/values.js';
import { boolValue, stringMapValue, stringValue, toStringMap } from './attribute-values.js';
import { disableTableEntry, enableTableEntry, findMountEntry, type TableKind } from './table-entry.js';
import { mountPathValidator } from './path-validators.js';
import type { FerryResource } from './ferry-client-binding.js';

const schema: Schema = {
  version: 0,
  block: {
    description: 'An audit device. Audit devices cannot be tuned: every change replaces the device.',
    attributes: {
      path: {
        type: stringType,
        required: true,
        planModifiers: [requiresReplace()],
        validators: [mountPathValidator],
        description: 'Where the audit device is enabled.',
      },
      type: { type: stringType, required: true, planModifiers: [requiresReplace()], description: 'The audit device type, for example `file`.' },
      description: {
        type: stringType,
        optional: true,
        computed: true,
        default: '',
        planModifiers: [requiresReplace()],
        description: 'Human-readable description.',
      },
      local: {
        type: boolType,
        optional: true,
        computed: true,
        default: false,
        planModifiers: [requiresReplace()],
        description: 'Keep the device on this cluster only (not replicated).',
      },
      options: {
        type: mapOf(stringType),
        optional: true,
        computed: true,
        default: objectFromEntries([]),
        planModifiers: [requiresReplace()],
        description: 'Options for the audit device, for example `file_path`.',
      },
    },
  },
};

/** Options the server fills in with these values when they are not given; not user configuration. */
const serverDefaultOptions: Readonly<Record<string, string>> = {
  format: 'json',
  prefix: '',
  hmac_accessor: 'true',
  log_raw: 'false',
  elide_list_responses: 'false',
};

/** The server's options minus defaults it added itself, so they neither drift nor force replacement. */
function configuredOptions(server: ObjectValue, prior: Record<string, string> | null): ObjectValue {
  return objectFromEntries(Object.entries(server).filter(([k, v]) => (prior !== null && k in prior) || serverDefaultOptions[k] !== v));
}

const AUDIT_DEVICES: TableKind = { table: 'sys/audit', noun: 'audit device' };

interface AuditEntry {
  type?: string;
  description?: string;
  local?: boolean;
  options?: Record<string, unknown> | null;
}

/** `ferry_audit`: POST/DELETE sys/audit/<path>, read from GET sys/audit. */
export class AuditResource implements FerryResource {
  readonly operations = {
    create: { summary: 'Cannot enable audit device' },
    read: { summary: 'Cannot read audit device' },
    delete: { summary: 'Cannot disable audit device' },
  };

  metadata() {
    return { typeName: 'ferry_audit' };
  }

  schema(): Schema {
    return schema;
  }

  async create({ plan }: { plan: ObjectValue }, client: FerryClient, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const path = trimSlashes(stringValue(plan, 'path') ?? '');
    const body = {
      type: stringValue(plan, 'type'),
      description: stringValue(plan, 'description') ?? '',
      local: boolValue(plan, 'local') === true,
      options: stringMapValue(plan, 'options') ?? {},
    };
    if (!(await enableTableEntry(client, AUDIT_DEVICES, path, body, diagnostics))) return null;
    return await step(this.operations.read.summary, () => this.read({ state: plan }, client));
  }

  async read({ state }: { state: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    const path = stringValue(state, 'path') ?? '';
    const entry = await findMountEntry<AuditEntry>(client, 'sys/audit', path);
    if (entry === null) return null;
    return objectFromEntries([
      ['path', path],
      ['type', entry.type ?? ''],
      ['description', entry.description ?? ''],
      ['local', entry.local === true],
      ['options', configuredOptions(toStringMap(entry.options ?? {}), stringMapValue(state, 'options'))],
    ]);
  }

  recordUpdate({ plan }: { plan: ObjectValue }): ObjectValue {
    return plan; // every attribute replaces; nothing to change in place
  }

  async delete({ prior }: { prior: ObjectValue }, client: FerryClient): Promise<void> {
    await disableTableEntry(client, AUDIT_DEVICES, stringValue(prior, 'path') ?? '');
  }

  async importState(id: string): Promise<ObjectValue | null> {
    return objectFromEntries([['path', trimSlashes(id)]]);
  }
}
