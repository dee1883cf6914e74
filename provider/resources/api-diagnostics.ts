import { ApiError } from '../../server/api-client/api-error.js';
import { TransportError } from '../../server/api-client/transport-error.js';
import type { AttributePath, Diagnostics } from '../framework/diagnostics.js';

/**
 * Reports a failed API call as an error diagnostic: what was being done, what the server (or the network)
 * said, and a hint for refused tokens.
 */
export function reportApiError(diagnostics: Diagnostics, summary: string, err: unknown, path?: AttributePath): void {
  if (err instanceof TransportError) {
    const reason = err.code === undefined ? err.reason : `${err.code} (${err.reason})`;
    diagnostics.error(
      summary,
      `cannot reach Ferry at ${err.address}: ${reason}. Check the provider's address (or FERRY_ADDR) and that the server is running.`,
      path,
    );
    return;
  }
  if (err instanceof ApiError) {
    const messages = serverMessages(err);
    const said = messages.length > 0 ? messages.join('; ') : `status ${err.status}`;
    let detail = `Ferry at ${err.address} refused ${err.method} /v1/${err.path}: ${said}.`;
    if (err.isPermissionDenied) {
      detail +=
        " The token was refused (permission denied): check the provider's token (or FERRY_TOKEN), or " +
        'configure auth_login_userpass so the provider can log in again.';
    }
    diagnostics.error(summary, detail, path);
    return;
  }
  diagnostics.error(summary, err instanceof Error ? err.message : String(err), path);
}

/**
 * What the server said: its `{"errors":[...]}`, or the start of a body that is not JSON (a proxy's error page);
 * nothing for a JSON body without errors.
 */
export function serverMessages(err: ApiError): string[] {
  if (err.rawBody === undefined) return [...err.errors];
  const text = err.rawBody.trim();
  if (text === '') return [];
  try {
    JSON.parse(text);
    return [];
  } catch {
    return [text.slice(0, 200)];
  }
}

/** Runs an API call whose 404 means the work is already done (deleting what is gone). */
export async function ignoringNotFound(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (err instanceof ApiError && err.isNotFound) return;
    throw err;
  }
}

/** Polls `probe` until it returns a value or the deadline passes; errors while polling count as "not yet". */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<{ value: T } | { timedOut: true; lastError: unknown }> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return { value };
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) return { timedOut: true, lastError };
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
