import { randomBytes } from 'node:crypto';
import type { FieldData } from '../../core/field-data.js';
import type { PathContext, PathDefinition } from '../../core/path-table.js';
import { invalidRequest } from '../../core/vault-error.js';
import { BATCH_FIELDS, runSingleOrBatch } from './transit-batch.js';
import { decodeBase64Field, formatVersioned, parseVersioned } from './transit-ciphertext.js';
import { decryptWithVersion, encryptWithVersion, type CipherInput } from './transit-cipher.js';
import { KEY_NAME, nameOf, requireKey } from './transit-key-paths.js';
import type { TransitKeyStore } from './transit-key-store.js';
import { parseKeyType } from './transit-key-type.js';
import { createTransitKey, decryptionVersion, encryptionVersion, type TransitKey } from './transit-key.js';

const CIPHER_FIELDS = {
  context: { type: 'string' },
  nonce: { type: 'string' },
  associated_data: { type: 'string' },
  key_version: { type: 'int' },
} as const;

function cipherInput(fields: FieldData): CipherInput {
  const context = fields.optionalString('context');
  const aad = fields.optionalString('associated_data');
  return {
    ...(context === undefined || context === '' ? {} : { context: decodeBase64Field(context, 'context') }),
    ...(aad === undefined || aad === '' ? {} : { associatedData: decodeBase64Field(aad, 'associated_data') }),
  };
}

function encryptPlaintext(key: TransitKey, plaintext: Buffer, fields: FieldData): Record<string, unknown> {
  // Every nonce here is random or (convergent) derived; a caller-chosen one would be silently ignored
  // or, worse, reused, so it is refused as Vault does since 1.15.
  if ((fields.optionalString('nonce') ?? '') !== '') throw invalidRequest('provided nonce not allowed for this key');
  const { version, material } = encryptionVersion(key, fields.int('key_version'));
  const body = encryptWithVersion(key, material, plaintext, cipherInput(fields));
  return { ciphertext: formatVersioned(version, body), key_version: version };
}

function decryptCiphertext(key: TransitKey, fields: FieldData): Buffer {
  const ciphertext = fields.string('ciphertext');
  if (ciphertext === '') throw invalidRequest('missing ciphertext to decrypt');
  const { version, body } = parseVersioned(ciphertext);
  return decryptWithVersion(key, decryptionVersion(key, version), body, cipherInput(fields));
}

/** encrypt, decrypt, rewrap and datakey, each with batch input where Vault has it. */
export function transitEncryptionPaths(store: TransitKeyStore): PathDefinition[] {
  /**
   * Encrypting to a missing key creates it when the caller may `create` there (the core turned the
   * update into a create after the existence check), as Vault's upsert does.
   */
  const keyForEncrypt = async (ctx: PathContext): Promise<TransitKey> => {
    const name = nameOf(ctx);
    const existing = await store.get(name);
    if (existing !== undefined) return existing;
    if (ctx.req.operation !== 'create') throw invalidRequest('encryption key not found');
    return store.withKey(name, async () => {
      const raced = await store.get(name);
      if (raced !== undefined) return raced;
      const batch = ctx.fields.get('batch_input');
      const first = Array.isArray(batch) && typeof batch[0] === 'object' && batch[0] !== null ? (batch[0] as Record<string, unknown>) : {};
      const hasContext = ctx.fields.has('context') || typeof first.context === 'string';
      const key = await createTransitKey(name, {
        type: parseKeyType(ctx.fields.string('type')),
        derived: hasContext,
        convergentEncryption: ctx.fields.bool('convergent_encryption'),
        exportable: false,
        allowPlaintextBackup: false,
        autoRotatePeriodSeconds: 0,
        keySize: 0,
      });
      await store.put(key);
      return key;
    });
  };

  return [
    {
      pattern: `encrypt/${KEY_NAME}`,
      fields: {
        ...CIPHER_FIELDS,
        ...BATCH_FIELDS,
        plaintext: { type: 'string' },
        type: { type: 'string', default: 'aes256-gcm96' },
        convergent_encryption: { type: 'bool' },
      },
      exists: async (ctx) => (await store.get(nameOf(ctx))) !== undefined,
      operations: {
        update: async (ctx) => {
          const key = await keyForEncrypt(ctx);
          return runSingleOrBatch(ctx, { ...CIPHER_FIELDS, plaintext: { type: 'string' } }, async (fields) => {
            if (!fields.has('plaintext')) throw invalidRequest('missing plaintext to encrypt');
            return encryptPlaintext(key, decodeBase64Field(fields.string('plaintext'), 'plaintext'), fields);
          });
        },
      },
    },
    {
      pattern: `decrypt/${KEY_NAME}`,
      fields: { ...CIPHER_FIELDS, ...BATCH_FIELDS, ciphertext: { type: 'string' } },
      operations: {
        update: async (ctx) => {
          const key = await requireKey(store, nameOf(ctx));
          return runSingleOrBatch(ctx, { ...CIPHER_FIELDS, ciphertext: { type: 'string' } }, async (fields) => ({
            plaintext: decryptCiphertext(key, fields).toString('base64'),
          }));
        },
      },
    },
    {
      pattern: `rewrap/${KEY_NAME}`,
      fields: { ...CIPHER_FIELDS, ...BATCH_FIELDS, ciphertext: { type: 'string' } },
      operations: {
        update: async (ctx) => {
          const key = await requireKey(store, nameOf(ctx));
          return runSingleOrBatch(ctx, { ...CIPHER_FIELDS, ciphertext: { type: 'string' } }, async (fields) =>
            encryptPlaintext(key, decryptCiphertext(key, fields), fields),
          );
        },
      },
    },
    {
      pattern: `datakey/(?<plaintext_kind>[^/]+)/${KEY_NAME}`,
      fields: { ...CIPHER_FIELDS, bits: { type: 'int', default: 256 } },
      operations: {
        update: async (ctx) => {
          const kind = ctx.captures.plaintext_kind;
          if (kind !== 'plaintext' && kind !== 'wrapped') throw invalidRequest('invalid path: must be "plaintext" or "wrapped"');
          const bits = ctx.fields.int('bits');
          if (bits !== 128 && bits !== 256 && bits !== 512) throw invalidRequest('invalid bit length');
          const key = await requireKey(store, nameOf(ctx));
          const dataKey = randomBytes(bits / 8);
          const sealed = encryptPlaintext(key, dataKey, ctx.fields);
          return { data: { ...sealed, ...(kind === 'plaintext' ? { plaintext: dataKey.toString('base64') } : {}) } };
        },
      },
    },
  ];
}
