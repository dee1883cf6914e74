import type { MethodDefinition } from '@grpc/grpc-js';
import { providerSchemaResponse, type ProviderSchemaFile } from '../protocol/schema-messages.js';

/**
 * Set by provider-bundle-builder.ts (an esbuild define) to the base64 of GetProviderSchema's encoded answer,
 * made from schemas/ at build time; not defined outside the bundle (tsx, tests, dist/).
 */
declare const FERRY_ENCODED_SCHEMA_ANSWER: string | undefined;

/**
 * The encoded GetProviderSchema answer compiled into the provider bundle, or undefined outside it. Every
 * launch answers that RPC first; sent as is, it needs neither protobufjs's reflection tree nor the ~30
 * message codecs protobufjs would generate (and compile) to encode the schema.
 */
export function bundledSchemaAnswer(): Buffer | undefined {
  return typeof FERRY_ENCODED_SCHEMA_ANSWER === 'string' ? Buffer.from(FERRY_ENCODED_SCHEMA_ANSWER, 'base64') : undefined;
}

/** GetProviderSchema's answer for `file`, encoded exactly as the live RPC encodes it (no diagnostics). */
export function encodeSchemaAnswer(method: MethodDefinition<unknown, unknown> | undefined, file: ProviderSchemaFile, sourceAddress: string): Buffer {
  if (method === undefined) throw new Error('the service definition has no GetProviderSchema');
  return method.responseSerialize({ ...providerSchemaResponse(file, sourceAddress), diagnostics: [] });
}
