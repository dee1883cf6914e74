import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalidRequest } from '../core/vault-error.js';
import { isActivationBundle, type ActivationBundle } from './activation-bundle.js';
import { BodyTooLargeError, MAX_API_ANSWER_BYTES, readBoundedBody } from './bounded-body.js';

/** How a secondary verifies the primary's API over https: `ca_file` and/or `ca_path`, else system roots. */
export interface TrustOptions {
  readonly caFile: string;
  readonly caPath: string;
}

/** The CA certificates of `ca_file` (one PEM file) and `ca_path` (a directory of PEM files). */
function trustAnchors({ caFile, caPath }: TrustOptions): Buffer[] | undefined {
  const out: Buffer[] = [];
  try {
    if (caFile !== '') out.push(readFileSync(caFile));
    if (caPath !== '') for (const name of readdirSync(caPath).sort()) out.push(readFileSync(join(caPath, name)));
  } catch (err) {
    throw invalidRequest(`cannot read the CA certificates given in ca_file/ca_path: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return out.length > 0 ? out : undefined;
}

/**
 * The one HTTP call of activation: unwraps the activation token at `sys/wrapping/unwrap` on the
 * primary's API (TLS verified with ca_file/ca_path when https) and returns the bundle it wraps.
 * The answer is read up to MAX_API_ANSWER_BYTES and refused past it, never truncated. Every
 * failure is a 400 that names the primary's origin, never the token.
 */
export async function unwrapActivationToken(apiAddr: string, token: string, trust: TrustOptions): Promise<ActivationBundle> {
  const url = new URL('/v1/sys/wrapping/unwrap', apiAddr);
  const body = '{}';
  const ca = trustAnchors(trust);
  const result = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-vault-token': token },
        timeout: 15_000,
        ...(ca ? { ca } : {}),
      },
      (res) => {
        const declared = Number(res.headers['content-length'] ?? 0);
        if (declared > MAX_API_ANSWER_BYTES) {
          res.destroy();
          reject(new BodyTooLargeError(MAX_API_ANSWER_BYTES));
          return;
        }
        readBoundedBody(res, MAX_API_ANSWER_BYTES).then((buf) => resolve({ status: res.statusCode ?? 0, text: buf.toString('utf8') }), reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  }).catch((err: Error) => {
    if (err instanceof BodyTooLargeError) {
      throw invalidRequest(`error unwrapping secondary token at ${url.origin}: the primary's answer exceeds the ${MAX_API_ANSWER_BYTES}-byte limit`);
    }
    throw invalidRequest(`error unwrapping secondary token at ${url.origin}: ${err.message}`);
  });
  if (result.status !== 200) {
    let messages: string[] = [];
    try {
      messages = (JSON.parse(result.text) as { errors?: string[] }).errors ?? [];
    } catch {
      /* not JSON */
    }
    throw invalidRequest(`error response unwrapping secondary token; status code is ${result.status}, message is "${messages.join('; ')}"`);
  }
  let data: unknown;
  try {
    data = (JSON.parse(result.text) as { data?: unknown } | null)?.data;
  } catch {
    throw invalidRequest(`error unwrapping secondary token at ${url.origin}: the answer is not valid JSON`);
  }
  if (!isActivationBundle(data)) throw invalidRequest('the unwrapped secondary token is not a replication activation bundle');
  return data;
}
