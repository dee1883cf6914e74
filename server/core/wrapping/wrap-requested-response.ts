import type { LogicalRequest, LogicalResponse } from '../logical.js';
import type { ResponseWrapper, WrapFormat } from './response-wrapper.js';

const WRAP_PATH = 'sys/wrapping/wrap';
const UNKNOWN_FIELDS_WARNING = 'Endpoint ignored these unrecognized parameters';

/** The wrap format asked for with `X-Vault-Wrap-Format` (`jwt`), opaque otherwise. */
export function requestedWrapFormat(req: LogicalRequest): WrapFormat {
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.toLowerCase() === 'x-vault-wrap-format') return value.trim().toLowerCase() === 'jwt' ? 'jwt' : 'opaque';
  }
  return 'opaque';
}

/** True when a response carries something worth wrapping (an empty write result is not wrapped). */
function hasPayload(res: LogicalResponse): boolean {
  return (res.data !== undefined && res.data !== null) || res.auth !== undefined || res.secret !== undefined;
}

/**
 * The wrapping post-response step: wraps the response of a request that asked for it with
 * `X-Vault-Wrap-TTL` behind a new single-use wrapping token, keeping only `wrap_info` and the
 * headers. It runs after lease registration, so a wrapped secret keeps its lease id.
 */
export async function wrapRequestedResponse(
  wrapper: ResponseWrapper,
  req: LogicalRequest,
  res: LogicalResponse | undefined,
): Promise<LogicalResponse | undefined> {
  if (req.path === WRAP_PATH && res?.warnings) {
    // Every body field of sys/wrapping/wrap is data: the path table's unknown-field warning does not apply.
    const warnings = res.warnings.filter((w) => !w.startsWith(UNKNOWN_FIELDS_WARNING));
    res = { ...res, warnings };
  }
  const ttlSeconds = req.wrapTtlSeconds ?? 0;
  if (ttlSeconds <= 0 || res === undefined || res.wrapInfo !== undefined || res.raw !== undefined || !hasPayload(res)) return res;
  const wrapInfo = await wrapper.wrap(res, { ttlSeconds, creationPath: req.path, format: requestedWrapFormat(req) });
  const out: LogicalResponse = { data: null, wrapInfo };
  if (res.headers) out.headers = res.headers;
  return out;
}
