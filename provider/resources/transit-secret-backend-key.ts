import { trimSlashes, type FerryClient } from '../client/ferry-client.js';
import { attributePath, type Diagnostics } from '../framework/diagnostics.js';
import { step } from '../framework/client-resource.js';
import { requiresReplace, useStateForUnknown } from '../framework/plan-modifiers.js';
import type { AttributeSchema, Schema } from '../framework/schema.js';
import { boolType, listOf, mapOf, numberType, stringType } from '../framework/value-type.js';
import { objectFromEntries, type ObjectValue, type Value } from '../framework/values.js';
import { ignoringNotFound } from './api-diagnostics.js';
import { boolValue, numberValue, stringValue } from './attribute-values.js';
import type { FerryResource } from './ferry-client-binding.js';
import { mountPathValidator, nameValidator } from './path-validators.js';

const fixed = (attribute: AttributeSchema): AttributeSchema => ({ ...attribute, planModifiers: [requiresReplace()] });
const computed = (type: AttributeSchema['type'], description: string): AttributeSchema => ({
  type,
  computed: true,
  planModifiers: [useStateForUnknown()],
  description,
});

const schema: Schema = {
  version: 0,
  block: {
    description:
      "A named key of a transit secrets engine (as terraform-provider-vault's `vault_transit_secret_backend_key`). Keys replicate: create them on the primary. Import ID: `<backend>/keys/<name>`.",
    attributes: {
      backend: fixed({
        type: stringType,
        required: true,
        validators: [mountPathValidator],
        description: 'Path of the transit mount, without slashes at either end.',
      }),
      name: fixed({ type: stringType, required: true, validators: [nameValidator], description: 'The key name.' }),
      type: fixed({
        type: stringType,
        optional: true,
        computed: true,
        default: 'aes256-gcm96',
        description:
          'Key type: `aes128-gcm96`, `aes256-gcm96`, `chacha20-poly1305`, `ed25519`, `ecdsa-p256`, `ecdsa-p384`, `ecdsa-p521`, `rsa-2048`, `rsa-3072`, `rsa-4096` or `hmac`.',
      }),
      derived: fixed({ type: boolType, optional: true, computed: true, default: false, description: 'Derive a key per request from a `context`.' }),
      convergent_encryption: fixed({
        type: boolType,
        optional: true,
        computed: true,
        default: false,
        description: 'Equal plaintexts give equal ciphertexts under one context (needs `derived`).',
      }),
      key_size: fixed({ type: numberType, optional: true, computed: true, default: 0, description: 'Size in bytes of an `hmac` key (32 to 512; 0 = 32).' }),
      deletion_allowed: {
        type: boolType,
        optional: true,
        computed: true,
        default: false,
        description: 'Whether the key may be deleted; destroying the resource needs it.',
      },
      exportable: {
        type: boolType,
        optional: true,
        computed: true,
        default: false,
        description: 'Allow exporting the key material. Cannot be disabled once enabled.',
      },
      allow_plaintext_backup: {
        type: boolType,
        optional: true,
        computed: true,
        default: false,
        description: 'Allow plaintext backups of the key. Cannot be disabled once enabled.',
      },
      min_decryption_version: {
        type: numberType,
        optional: true,
        computed: true,
        default: 1,
        description: 'Oldest version allowed to decrypt, verify and rewrap.',
      },
      min_encryption_version: {
        type: numberType,
        optional: true,
        computed: true,
        default: 0,
        description: 'Oldest version allowed to encrypt (0 = the latest).',
      },
      auto_rotate_period: {
        type: numberType,
        optional: true,
        computed: true,
        default: 0,
        description: 'Rotation period in seconds (0 = never; at least 3600): the primary rotates the key once its latest version is this old.',
      },
      latest_version: computed(numberType, 'The latest key version.'),
      min_available_version: computed(numberType, 'The oldest version still held (after trims).'),
      supports_encryption: computed(boolType, 'Whether the key type encrypts.'),
      supports_decryption: computed(boolType, 'Whether the key type decrypts.'),
      supports_derivation: computed(boolType, 'Whether the key type supports derivation.'),
      supports_signing: computed(boolType, 'Whether the key type signs.'),
      keys: computed(
        listOf(mapOf(stringType)),
        'One map per version: `version`, `creation_time` (RFC 3339 or Unix seconds), and `name` and `public_key` for asymmetric keys.',
      ),
    },
  },
};

interface KeyData {
  type?: string;
  derived?: boolean;
  convergent_encryption?: boolean;
  key_size?: number;
  deletion_allowed?: boolean;
  exportable?: boolean;
  allow_plaintext_backup?: boolean;
  min_decryption_version?: number;
  min_encryption_version?: number;
  auto_rotate_period?: number;
  latest_version?: number;
  min_available_version?: number;
  supports_encryption?: boolean;
  supports_decryption?: boolean;
  supports_derivation?: boolean;
  supports_signing?: boolean;
  keys?: Record<string, number | { creation_time?: string; name?: string; public_key?: string }>;
}

function keyPath(backend: string, name: string): string {
  return `${trimSlashes(backend)}/keys/${encodeURIComponent(name)}`;
}

function versionsOf(keys: KeyData['keys']): Value[] {
  return Object.entries(keys ?? {})
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([version, info]) =>
      objectFromEntries(
        typeof info === 'number'
          ? [
              ['version', version],
              ['creation_time', String(info)],
            ]
          : [
              ['version', version],
              ['creation_time', info.creation_time ?? ''],
              ['name', info.name ?? ''],
              ['public_key', info.public_key ?? ''],
            ],
      ),
    );
}

function toState(backend: string, name: string, d: KeyData): ObjectValue {
  return objectFromEntries([
    ['backend', backend],
    ['name', name],
    ['type', d.type ?? ''],
    ['derived', d.derived === true],
    ['convergent_encryption', d.convergent_encryption === true],
    ['key_size', d.key_size ?? 0],
    ['deletion_allowed', d.deletion_allowed === true],
    ['exportable', d.exportable === true],
    ['allow_plaintext_backup', d.allow_plaintext_backup === true],
    ['min_decryption_version', d.min_decryption_version ?? 1],
    ['min_encryption_version', d.min_encryption_version ?? 0],
    ['auto_rotate_period', d.auto_rotate_period ?? 0],
    ['latest_version', d.latest_version ?? 0],
    ['min_available_version', d.min_available_version ?? 0],
    ['supports_encryption', d.supports_encryption === true],
    ['supports_decryption', d.supports_decryption === true],
    ['supports_derivation', d.supports_derivation === true],
    ['supports_signing', d.supports_signing === true],
    ['keys', versionsOf(d.keys)],
  ]);
}

/** The settings `keys/:name/config` takes, from the plan (absent ones are left to the server). */
function configBody(plan: ObjectValue): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const name of ['deletion_allowed', 'exportable', 'allow_plaintext_backup']) {
    const v = boolValue(plan, name);
    if (v !== null) body[name] = v;
  }
  for (const name of ['min_decryption_version', 'min_encryption_version', 'auto_rotate_period']) {
    const v = numberValue(plan, name);
    if (v !== null) body[name] = v;
  }
  return body;
}

/** `ferry_transit_secret_backend_key`: POST <backend>/keys/<name>, settings through keys/<name>/config. */
export class TransitSecretBackendKeyResource implements FerryResource {
  readonly operations = {
    create: { summary: 'Cannot create transit key' },
    read: { summary: 'Cannot read transit key' },
    update: { summary: 'Cannot configure transit key' },
    delete: { summary: 'Cannot delete transit key', path: attributePath('deletion_allowed') },
  };

  metadata() {
    return { typeName: 'ferry_transit_secret_backend_key' };
  }

  schema(): Schema {
    return schema;
  }

  async create({ plan }: { plan: ObjectValue }, client: FerryClient, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const backend = stringValue(plan, 'backend') ?? '';
    const name = stringValue(plan, 'name') ?? '';
    const body: Record<string, unknown> = {
      type: stringValue(plan, 'type') ?? 'aes256-gcm96',
      derived: boolValue(plan, 'derived') === true,
      convergent_encryption: boolValue(plan, 'convergent_encryption') === true,
      exportable: boolValue(plan, 'exportable') === true,
      allow_plaintext_backup: boolValue(plan, 'allow_plaintext_backup') === true,
    };
    const keySize = numberValue(plan, 'key_size');
    if (keySize !== null && keySize !== 0) body.key_size = keySize;
    const rotate = numberValue(plan, 'auto_rotate_period');
    if (rotate !== null && rotate !== 0) body.auto_rotate_period = rotate;
    await client.write(keyPath(backend, name), body);
    await step(this.operations.update.summary, () => client.write(`${keyPath(backend, name)}/config`, configBody(plan)));
    return await this.readBack(client, backend, name, diagnostics);
  }

  async read({ state }: { state: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    const backend = stringValue(state, 'backend') ?? '';
    const name = stringValue(state, 'name') ?? '';
    const res = await client.read<{ data?: KeyData }>(keyPath(backend, name));
    return res?.data === undefined ? null : toState(backend, name, res.data);
  }

  async update({ plan }: { plan: ObjectValue }, client: FerryClient, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const backend = stringValue(plan, 'backend') ?? '';
    const name = stringValue(plan, 'name') ?? '';
    await client.write(`${keyPath(backend, name)}/config`, configBody(plan));
    return await this.readBack(client, backend, name, diagnostics);
  }

  async delete({ prior }: { prior: ObjectValue }, client: FerryClient): Promise<void> {
    await ignoringNotFound(() => client.delete(keyPath(stringValue(prior, 'backend') ?? '', stringValue(prior, 'name') ?? '')));
  }

  /** `<backend>/keys/<name>`; the backend may itself contain slashes. */
  async importState(id: string, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const match = /^(.+)\/keys\/([^/]+)$/.exec(trimSlashes(id));
    if (match === null) {
      diagnostics.error('Invalid import ID', `"${id}" is not a transit key ID: expected "<backend>/keys/<name>", for example "transit/keys/orders".`);
      return null;
    }
    return objectFromEntries([
      ['backend', match[1] as string],
      ['name', match[2] as string],
    ]);
  }

  private async readBack(client: FerryClient, backend: string, name: string, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const state = await step(this.operations.read.summary, () =>
      this.read(
        {
          state: objectFromEntries([
            ['backend', backend],
            ['name', name],
          ]),
        },
        client,
      ),
    );
    if (state === null) diagnostics.error('Transit key missing after write', `Ferry at ${client.address} has no key "${name}" on "${backend}".`);
    return state;
  }
}
