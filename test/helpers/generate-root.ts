import type { ServerHandle } from './test-cluster.js';

/** What `vault operator generate-root -decode=… -otp=…` does: base64-decode, XOR with the OTP. */
export function decodeRootToken(encoded: string, otp: string): string {
  const bytes = Buffer.from(encoded, 'base64');
  const pad = Buffer.from(otp, 'utf8');
  return Buffer.from(bytes.map((b, i) => b ^ (pad[i] as number))).toString('utf8');
}

/**
 * Runs the generate-root OTP flow over HTTP with the given unseal key shares. Returns the new
 * root token, or the status and errors of the update that refused the shares.
 */
export async function generateRoot(server: ServerHandle, keys: readonly string[]): Promise<{ token?: string; status: number; errors?: string[] }> {
  await server.request('DELETE', 'sys/generate-root/attempt', { token: null });
  const started = await server.request('POST', 'sys/generate-root/attempt', { token: null, body: {} });
  if (started.status !== 200) return { status: started.status, errors: started.body.errors };
  let last = started;
  for (const key of keys) {
    last = await server.request('POST', 'sys/generate-root/update', { token: null, body: { key, nonce: started.body.nonce } });
    if (last.status !== 200) return { status: last.status, errors: last.body.errors };
  }
  if (!last.body.complete) return { status: last.status };
  return { status: last.status, token: decodeRootToken(last.body.encoded_token, started.body.otp) };
}
