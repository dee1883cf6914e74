/** A JSON object as the server sent it. */
export type JsonObject = Record<string, unknown>;

/** `wrap_info` of a response-wrapped answer (`X-Vault-Wrap-TTL`). */
export interface WrapInfo {
  readonly token: string;
  readonly accessor?: string;
  readonly ttl: number;
  readonly creation_time?: string;
  readonly creation_path?: string;
}

/** A JSON object body, or null for an empty body or one that is not a JSON object. */
export function parseJsonObject(text: string): JsonObject | null {
  if (text.trim() === '') return null;
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? value : null;
  } catch {
    return null;
  }
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `data` object of Vault's response envelope, if any. */
export function envelopeData(body: JsonObject | null | undefined): JsonObject | undefined {
  const data = body?.['data'];
  return isJsonObject(data) ? data : undefined;
}

/** The `data.keys` of a LIST answer as strings; none when absent. */
export function envelopeKeys(body: JsonObject | null | undefined): string[] {
  const keys = envelopeData(body)?.['keys'];
  return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
}

/** The `wrap_info` of a wrapped answer, when it has a token. */
export function envelopeWrapInfo(body: JsonObject | null | undefined): WrapInfo | undefined {
  const info = body?.['wrap_info'];
  if (!isJsonObject(info) || typeof info['token'] !== 'string') return undefined;
  return info as unknown as WrapInfo;
}

/** `auth.client_token` of a login answer. */
export function envelopeClientToken(body: JsonObject | null | undefined): string | undefined {
  const auth = body?.['auth'];
  const token = isJsonObject(auth) ? auth['client_token'] : undefined;
  return typeof token === 'string' && token !== '' ? token : undefined;
}
