import { createHash, randomBytes } from 'node:crypto';
import type { FieldData } from '../../core/field-data.js';
import type { PathDefinition } from '../../core/path-table.js';
import { invalidRequest } from '../../core/vault-error.js';
import { BATCH_FIELDS, runSingleOrBatch } from './transit-batch.js';
import { decodeBase64Field, formatVersioned, parseVersioned } from './transit-ciphertext.js';
import { KEY_NAME, nameOf, requireKey } from './transit-key-paths.js';
import type { TransitKeyStore } from './transit-key-store.js';
import { decryptionVersion, encryptionVersion, type TransitKey } from './transit-key.js';
import { hmacWithVersion, isSameHmac, nodeHash, signWithVersion, verifyWithVersion, type SignOptions } from './transit-signer.js';

const MAX_RANDOM_BYTES = 128 * 1024;

const SIGN_ITEM_FIELDS = {
  input: { type: 'string' },
  context: { type: 'string' },
  key_version: { type: 'int' },
  signature: { type: 'string' },
  hmac: { type: 'string' },
} as const;

const SIGN_FIELDS = {
  ...SIGN_ITEM_FIELDS,
  ...BATCH_FIELDS,
  hash_algorithm: { type: 'string' },
  algorithm: { type: 'string' },
  prehashed: { type: 'bool' },
  signature_algorithm: { type: 'string' },
  marshaling_algorithm: { type: 'string' },
  salt_length: { type: 'string' },
  format: { type: 'string' },
  bytes: { type: 'int' },
  urlalgorithm: { type: 'string' },
} as const;

function inputOf(fields: FieldData): Buffer {
  if (!fields.has('input')) throw invalidRequest('missing input');
  return decodeBase64Field(fields.string('input'), 'input');
}

/** The hash named in the path wins over the body's `hash_algorithm`/`algorithm`. */
function hashNameOf(ctx: { fields: FieldData; captures: Readonly<Record<string, string>> }, bodyField: string): string {
  return ctx.captures.urlalgorithm ?? ctx.fields.string(bodyField);
}

function signOptionsOf(ctx: { fields: FieldData; captures: Readonly<Record<string, string>> }, item: FieldData): SignOptions {
  if (ctx.fields.bool('prehashed')) throw invalidRequest('prehashed input is not supported by this server');
  const context = item.optionalString('context');
  return {
    hashAlgorithm: hashNameOf(ctx, 'hash_algorithm'),
    ...(context === undefined || context === '' ? {} : { context: decodeBase64Field(context, 'context') }),
    signatureAlgorithm: ctx.fields.string('signature_algorithm'),
    marshalingAlgorithm: ctx.fields.string('marshaling_algorithm'),
    saltLength: ctx.fields.string('salt_length'),
  };
}

const isJws = (fields: FieldData) => fields.string('marshaling_algorithm') === 'jws';

/** hmac, sign, verify (signatures and HMACs), hash and random. */
export function transitSigningPaths(store: TransitKeyStore): PathDefinition[] {
  const hmacOf = (key: TransitKey, fields: FieldData, algorithm: string): Record<string, unknown> => {
    const { version, material } = encryptionVersion(key, fields.int('key_version'));
    return { hmac: formatVersioned(version, hmacWithVersion(material, inputOf(fields), algorithm)), key_version: version };
  };

  return [
    {
      pattern: `hmac/${KEY_NAME}(?:/(?<urlalgorithm>[^/]+))?`,
      fields: SIGN_FIELDS,
      operations: {
        update: async (ctx) => {
          const key = await requireKey(store, nameOf(ctx));
          const algorithm = hashNameOf(ctx, 'algorithm');
          nodeHash(algorithm);
          return runSingleOrBatch(ctx, SIGN_ITEM_FIELDS, async (fields) => hmacOf(key, fields, algorithm));
        },
      },
    },
    {
      pattern: `sign/${KEY_NAME}(?:/(?<urlalgorithm>[^/]+))?`,
      fields: SIGN_FIELDS,
      operations: {
        update: async (ctx) => {
          const key = await requireKey(store, nameOf(ctx));
          return runSingleOrBatch(ctx, SIGN_ITEM_FIELDS, async (fields) => {
            const { version, material } = encryptionVersion(key, fields.int('key_version'));
            const signed = signWithVersion(key, material, inputOf(fields), signOptionsOf(ctx, fields));
            return {
              signature: formatVersioned(version, signed.signature, isJws(ctx.fields) ? 'base64url' : 'base64'),
              key_version: version,
              ...(signed.publicKey === undefined ? {} : { publickey: signed.publicKey.toString('base64') }),
            };
          });
        },
      },
    },
    {
      pattern: `verify/${KEY_NAME}(?:/(?<urlalgorithm>[^/]+))?`,
      fields: SIGN_FIELDS,
      operations: {
        update: async (ctx) => {
          const key = await requireKey(store, nameOf(ctx));
          return runSingleOrBatch(ctx, SIGN_ITEM_FIELDS, async (fields) => {
            const hasSignature = fields.has('signature');
            if (hasSignature === fields.has('hmac')) throw invalidRequest('provide one of "signature" or "hmac"');
            const input = inputOf(fields);
            if (!hasSignature) {
              const algorithm = hashNameOf(ctx, 'algorithm') || hashNameOf(ctx, 'hash_algorithm');
              const { version, body } = parseVersioned(fields.string('hmac'), 'hmac');
              const expected = hmacWithVersion(decryptionVersion(key, version), input, algorithm);
              return { valid: isSameHmac(expected, body) };
            }
            const { version, body } = parseVersioned(fields.string('signature'), 'signature', isJws(ctx.fields) ? 'base64url' : 'base64');
            return { valid: verifyWithVersion(key, decryptionVersion(key, version), input, body, signOptionsOf(ctx, fields)) };
          });
        },
      },
    },
    {
      pattern: 'hash(?:/(?<urlalgorithm>[^/]+))?',
      fields: SIGN_FIELDS,
      operations: {
        update: async (ctx) => {
          const format = ctx.fields.string('format') || 'hex';
          if (format !== 'hex' && format !== 'base64') throw invalidRequest(`unsupported encoding format ${format}; must be "hex" or "base64"`);
          const digest = createHash(nodeHash(hashNameOf(ctx, 'algorithm')))
            .update(inputOf(ctx.fields))
            .digest();
          return { data: { sum: digest.toString(format) } };
        },
      },
    },
    {
      pattern: 'random(?:/(?<source>platform|seal|all))?(?:/(?<urlbytes>\\d+))?',
      fields: { ...SIGN_FIELDS, bytes: { type: 'int', default: 32 }, urlbytes: { type: 'int' } },
      operations: {
        update: async (ctx) => {
          const bytes = ctx.fields.has('urlbytes') ? ctx.fields.int('urlbytes') : ctx.fields.int('bytes');
          if (bytes < 1) throw invalidRequest('number of bytes must be positive');
          if (bytes > MAX_RANDOM_BYTES) throw invalidRequest(`number of bytes may not exceed ${MAX_RANDOM_BYTES}`);
          const format = ctx.fields.string('format') || 'base64';
          if (format !== 'hex' && format !== 'base64') throw invalidRequest(`unsupported encoding format ${format}; must be "hex" or "base64"`);
          return { data: { random_bytes: randomBytes(bytes).toString(format) } };
        },
      },
    },
  ];
}
