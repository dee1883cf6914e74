import { VaultClient } from '../../server/api-client/vault-client.js';
import type { ServerHandle } from './test-cluster.js';

/** A server's answer: its status, the parsed body (text when not JSON, undefined when empty) and the raw text. */
export interface Answer {
  readonly status: number;
  readonly body: any;
  readonly text: string;
}

export interface DeadlineRequestOptions {
  /** Defaults to the handle's root token; null sends none. */
  readonly token?: string | null;
  readonly body?: unknown;
  readonly timeoutMs: number;
}

/**
 * One HTTP request with a hard deadline: past `timeoutMs` the client gives up and closes the
 * connection (a TransportError), not just abandons it — for tests that kill and stop servers.
 */
export async function requestWithDeadline(server: ServerHandle, method: string, path: string, options: DeadlineRequestOptions): Promise<Answer> {
  const token = options.token === undefined ? server.rootToken : options.token;
  const client = new VaultClient({ address: server.addr, timeoutMs: options.timeoutMs });
  const res = await client.send(method, path, { token: token || null, body: options.body });
  return { status: res.status, body: res.text === '' ? undefined : res.json !== undefined ? res.json : res.text, text: res.text };
}
