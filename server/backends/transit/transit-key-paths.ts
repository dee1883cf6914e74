import type { LogicalResponse } from '../../core/logical.js';
import type { PathContext, PathDefinition } from '../../core/path-table.js';
import { invalidRequest, notFound } from '../../core/vault-error.js';
import { publicKeyOf } from './transit-signer.js';
import { traitsOf, parseKeyType } from './transit-key-type.js';
import {
  configureTransitKey,
  createTransitKey,
  rotateTransitKey,
  transitKeyView,
  trimTransitKey,
  type KeyConfigChange,
  type KeyVersion,
  type TransitKey,
} from './transit-key.js';
import type { TransitKeyStore } from './transit-key-store.js';
import { restoreFromBackup, backupOf } from './transit-backup.js';

/** Vault's generic name rule: word characters, with '.' and '-' inside. */
export const KEY_NAME = '(?<name>\\w(?:[\\w.-]*\\w)?)';

export const nameOf = (ctx: PathContext): string => ctx.captures.name ?? '';

export async function requireKey(store: TransitKeyStore, name: string): Promise<TransitKey> {
  const key = await store.get(name);
  if (key === undefined) throw invalidRequest('encryption key not found');
  return key;
}

/** Key management: create/read/list/delete, config, rotate, trim, export, backup and restore. */
export function transitKeyPaths(store: TransitKeyStore): PathDefinition[] {
  const readKey = async (name: string): Promise<LogicalResponse> => {
    const key = await store.get(name);
    if (key === undefined) throw notFound();
    return { data: transitKeyView(key) };
  };

  return [
    {
      pattern: 'keys/?',
      operations: {
        list: async () => {
          const keys = await store.list();
          if (keys.length === 0) throw notFound();
          return { data: { keys } };
        },
      },
    },
    {
      pattern: `keys/${KEY_NAME}`,
      fields: {
        type: { type: 'string', default: 'aes256-gcm96' },
        derived: { type: 'bool' },
        convergent_encryption: { type: 'bool' },
        exportable: { type: 'bool' },
        allow_plaintext_backup: { type: 'bool' },
        auto_rotate_period: { type: 'duration' },
        key_size: { type: 'int' },
      },
      exists: async (ctx) => (await store.get(nameOf(ctx))) !== undefined,
      operations: {
        read: async (ctx) => readKey(nameOf(ctx)),
        update: async (ctx) =>
          store.withKey(nameOf(ctx), async () => {
            const name = nameOf(ctx);
            const existing = await store.get(name);
            // Vault leaves an existing key untouched: its type and derivation are fixed at creation.
            if (existing !== undefined) return { data: transitKeyView(existing), warnings: [`key ${name} already existed`] };
            const { fields } = ctx;
            const key = await createTransitKey(name, {
              type: parseKeyType(fields.string('type')),
              derived: fields.bool('derived'),
              convergentEncryption: fields.bool('convergent_encryption'),
              exportable: fields.bool('exportable'),
              allowPlaintextBackup: fields.bool('allow_plaintext_backup'),
              autoRotatePeriodSeconds: fields.seconds('auto_rotate_period'),
              keySize: fields.int('key_size'),
            });
            await store.put(key);
            return { data: transitKeyView(key) };
          }),
        delete: async (ctx) =>
          store.withKey(nameOf(ctx), async () => {
            const key = await store.get(nameOf(ctx));
            if (key === undefined) return undefined;
            if (!key.deletion_allowed) throw invalidRequest('deletion is not allowed for this key');
            await store.delete(key.name);
            return undefined;
          }),
      },
    },
    {
      pattern: `keys/${KEY_NAME}/config`,
      fields: {
        min_decryption_version: { type: 'int' },
        min_encryption_version: { type: 'int' },
        deletion_allowed: { type: 'bool' },
        exportable: { type: 'bool' },
        allow_plaintext_backup: { type: 'bool' },
        auto_rotate_period: { type: 'duration' },
      },
      operations: {
        update: async (ctx) =>
          store.withKey(nameOf(ctx), async () => {
            const { fields } = ctx;
            const key = await requireKey(store, nameOf(ctx));
            const change: KeyConfigChange = {};
            if (fields.has('min_decryption_version')) change.minDecryptionVersion = fields.int('min_decryption_version');
            if (fields.has('min_encryption_version')) change.minEncryptionVersion = fields.int('min_encryption_version');
            if (fields.has('deletion_allowed')) change.deletionAllowed = fields.bool('deletion_allowed');
            if (fields.has('exportable')) change.exportable = fields.bool('exportable');
            if (fields.has('allow_plaintext_backup')) change.allowPlaintextBackup = fields.bool('allow_plaintext_backup');
            if (fields.has('auto_rotate_period')) change.autoRotatePeriodSeconds = fields.seconds('auto_rotate_period');
            const next = configureTransitKey(key, change);
            await store.put(next);
            return { data: transitKeyView(next) };
          }),
      },
    },
    {
      pattern: `keys/${KEY_NAME}/rotate`,
      operations: {
        update: async (ctx) =>
          store.withKey(nameOf(ctx), async () => {
            const next = await rotateTransitKey(await requireKey(store, nameOf(ctx)));
            await store.put(next);
            return { data: transitKeyView(next) };
          }),
      },
    },
    {
      pattern: `keys/${KEY_NAME}/trim`,
      fields: { min_available_version: { type: 'int', required: true } },
      operations: {
        update: async (ctx) =>
          store.withKey(nameOf(ctx), async () => {
            const next = trimTransitKey(await requireKey(store, nameOf(ctx)), ctx.fields.int('min_available_version'));
            await store.put(next);
            return { data: transitKeyView(next) };
          }),
      },
    },
    {
      pattern: `export/(?<export_type>[^/]+)/${KEY_NAME}(?:/(?<version>[^/]+))?`,
      operations: {
        read: async (ctx) => {
          const key = await store.get(nameOf(ctx));
          if (key === undefined) throw notFound();
          const exportType = ctx.captures.export_type ?? '';
          if (!['encryption-key', 'signing-key', 'hmac-key', 'public-key'].includes(exportType)) throw invalidRequest(`invalid export type: ${exportType}`);
          if (exportType !== 'public-key' && !key.exportable) throw invalidRequest('private key material is not exportable');
          const versions = selectVersions(key, ctx.captures.version);
          const keys: Record<string, string> = {};
          for (const [v, material] of versions) keys[v] = exportMaterial(key, material, exportType);
          return { data: { name: key.name, type: key.type, keys } };
        },
      },
    },
    {
      pattern: `backup/${KEY_NAME}`,
      operations: {
        read: async (ctx) => {
          const key = await store.get(nameOf(ctx));
          if (key === undefined) throw notFound();
          return { data: { backup: backupOf(key) } };
        },
      },
    },
    {
      pattern: `restore(?:/${KEY_NAME})?`,
      fields: { backup: { type: 'string', required: true }, force: { type: 'bool' } },
      operations: {
        update: async (ctx) => {
          const restored = restoreFromBackup(ctx.fields.string('backup'), ctx.captures.name);
          return store.withKey(restored.name, async () => {
            if (!ctx.fields.bool('force') && (await store.get(restored.name)) !== undefined) {
              throw invalidRequest(`key "${restored.name}" already exists`);
            }
            await store.put(restored);
            return undefined;
          });
        },
      },
    },
  ];
}

function selectVersions(key: TransitKey, version: string | undefined): [string, KeyVersion][] {
  if (version === undefined) return Object.entries(key.versions);
  const v = version === 'latest' ? String(key.latest_version) : version;
  const material = /^\d+$/.test(v) ? key.versions[v] : undefined;
  if (material === undefined) throw invalidRequest('invalid key version');
  return [[v, material]];
}

function exportMaterial(key: TransitKey, material: KeyVersion, exportType: string): string {
  const family = traitsOf(key.type).family;
  switch (exportType) {
    case 'hmac-key':
      return material.hmac_key;
    case 'public-key':
      if (family === 'aead' || family === 'hmac') throw invalidRequest('public-key export is only for asymmetric keys');
      return publicKeyOf(key, material);
    case 'encryption-key':
      if (family === 'aead') return material.key as string;
      if (family === 'rsa') return material.private_pem as string;
      throw invalidRequest('encryption key not found');
    default:
      if (family === 'ecdsa' || family === 'rsa') return material.private_pem as string;
      if (family === 'ed25519') {
        // Go's ed25519.PrivateKey is seed ‖ public key; Vault exports that.
        return Buffer.concat([Buffer.from(material.key as string, 'base64'), Buffer.from(material.public_key as string, 'base64')]).toString('base64');
      }
      throw invalidRequest('signing key not found');
  }
}
