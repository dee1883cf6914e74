import { parseVaultErrors } from '../api-client/api-error.js';
import { TlsTrustError } from '../api-client/tls-trust.js';
import { ResponseTooLargeError, TransportError } from '../api-client/transport-error.js';
import { VaultClient } from '../api-client/vault-client.js';
import { invalidRequest } from '../core/vault-error.js';
import { isActivationBundle, type ActivationBundle } from './activation-bundle.js';
import { MAX_API_ANSWER_BYTES } from './bounded-body.js';

/** How a secondary verifies the primary's API over https: `ca_file` and/or `ca_path`, else system roots. */
export interface TrustOptions {
  readonly caFile: string;
  readonly caPath: string;
}

const UNWRAP_TIMEOUT_MS = 15_000;

/**
 * The one HTTP call of activation: unwraps the activation token at `sys/wrapping/unwrap` on the
 * primary's API (TLS verified with ca_file/ca_path when https) through the shared Vault API client,
 * and returns the bundle it wraps. The answer is read up to MAX_API_ANSWER_BYTES and refused past it,
 * never truncated. Every failure is a 400 that names the primary's origin, never the token.
 */
export async function unwrapActivationToken(apiAddr: string, token: string, trust: TrustOptions): Promise<ActivationBundle> {
  const origin = originOf(apiAddr);
  let client: VaultClient;
  try {
    client = new VaultClient({
      address: apiAddr,
      tls: { caFile: trust.caFile, caPath: trust.caPath },
      timeoutMs: UNWRAP_TIMEOUT_MS,
      maxResponseBytes: MAX_API_ANSWER_BYTES,
    });
  } catch (err) {
    if (err instanceof TlsTrustError) throw invalidRequest(`cannot read the CA certificates given in ca_file/ca_path: ${err.code ?? 'error'}`);
    throw err;
  }
  let answer;
  try {
    answer = await client.send('POST', 'sys/wrapping/unwrap', { token, wrapTtl: null, body: {} });
  } catch (err) {
    if (err instanceof ResponseTooLargeError) {
      throw invalidRequest(`error unwrapping secondary token at ${origin}: the primary's answer exceeds the ${MAX_API_ANSWER_BYTES}-byte limit`);
    }
    if (err instanceof TransportError) throw invalidRequest(`error unwrapping secondary token at ${origin}: ${err.reason}`);
    throw err;
  }
  if (answer.status === 400 || answer.status === 403) {
    // The primary refuses a wrapping token it no longer knows: used once already, or past its TTL.
    // Its own wording ("permission denied", "wrapping token is not valid or does not exist") would mislead.
    throw invalidRequest(`the activation token was already used or has expired: generate a new one on the primary (${origin})`);
  }
  if (answer.status !== 200) {
    const messages = parseVaultErrors(answer.text) ?? [];
    throw invalidRequest(`error response unwrapping secondary token at ${origin}; status code is ${answer.status}, message is "${messages.join('; ')}"`);
  }
  if (answer.json === undefined) throw invalidRequest(`error unwrapping secondary token at ${origin}: the answer is not valid JSON`);
  const data = (answer.json as { data?: unknown } | null)?.data;
  if (!isActivationBundle(data)) throw invalidRequest('the unwrapped secondary token is not a replication activation bundle');
  return data;
}

function originOf(apiAddr: string): string {
  try {
    return new URL(apiAddr).origin;
  } catch {
    return apiAddr;
  }
}
