import type { Core } from '../../core/core.js';
import type { LogicalRequest, LogicalResponse } from '../../core/logical.js';
import type { MountEntry } from '../../core/mount-table.js';
import type { PathDefinition } from '../../core/path-table.js';
import { responseWrapperFor, type ResponseWrapper, type WrapFormat } from '../../core/wrapping/response-wrapper.js';
import { invalidRequest } from '../../core/vault-error.js';

/** Vault's default TTL for `sys/wrapping/wrap` when the request carries no `X-Vault-Wrap-TTL`. */
export const DEFAULT_WRAP_TTL_SECONDS = 300;

const WRAP_PATH = 'sys/wrapping/wrap';
const UNKNOWN_FIELDS_WARNING = 'Endpoint ignored these unrecognized parameters';

/** The wrap format asked for with `X-Vault-Wrap-Format` (`jwt`), opaque otherwise. */
export function requestedWrapFormat(req: LogicalRequest): WrapFormat {
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.toLowerCase() === 'x-vault-wrap-format') return value.trim().toLowerCase() === 'jwt' ? 'jwt' : 'opaque';
  }
  return 'opaque';
}

/** `sys/wrapping/wrap`, `unwrap`, `lookup` and `rewrap`. */
export function wrappingPaths(wrapper: ResponseWrapper): PathDefinition[] {
  const tokenField = { token: { type: 'string' } } as const;
  /** The token to act on: the body's, or else the caller's own token. */
  const target = (req: LogicalRequest, bodyToken: string): string => {
    const token = bodyToken !== '' ? bodyToken : req.clientToken;
    if (token === '') throw invalidRequest('token is required');
    return token;
  };
  return [
    {
      pattern: 'wrapping/wrap',
      operations: {
        update: async ({ req }) => {
          if (Object.keys(req.data).length === 0) throw invalidRequest('empty wrapping data');
          const ttlSeconds = req.wrapTtlSeconds && req.wrapTtlSeconds > 0 ? req.wrapTtlSeconds : DEFAULT_WRAP_TTL_SECONDS;
          const wrapInfo = await wrapper.wrap({ data: { ...req.data } }, { ttlSeconds, creationPath: req.path, format: requestedWrapFormat(req) });
          return { data: null, wrapInfo };
        },
      },
    },
    {
      pattern: 'wrapping/unwrap',
      fields: tokenField,
      operations: { update: async ({ req, fields }) => wrapper.unwrap(target(req, fields.string('token')), req.auth?.tokenHash) },
    },
    {
      pattern: 'wrapping/lookup',
      fields: tokenField,
      operations: {
        update: async ({ req, fields }) => ({ data: { ...(await wrapper.lookup(target(req, fields.string('token')))) } }),
        read: async ({ req, fields }) => ({ data: { ...(await wrapper.lookup(target(req, fields.string('token')))) } }),
      },
    },
    {
      pattern: 'wrapping/rewrap',
      fields: tokenField,
      operations: {
        update: async ({ req, fields }) => ({ data: null, wrapInfo: await wrapper.rewrap(target(req, fields.string('token')), req.auth?.tokenHash) }),
      },
    },
  ];
}

/** True when a response carries something worth wrapping (an empty write result is not wrapped). */
function hasPayload(res: LogicalResponse): boolean {
  return (res.data !== undefined && res.data !== null) || res.auth !== undefined || res.secret !== undefined;
}

/**
 * Wires response wrapping into the core: the `sys/wrapping/*` paths, a response filter that
 * wraps any response of a request with `X-Vault-Wrap-TTL` (it runs after lease registration,
 * so a wrapped response keeps its lease id), and cleanup of a wrapping token's stored response
 * when the token is revoked or expires.
 */
export function installWrapping(core: Core): ResponseWrapper {
  const wrapper = responseWrapperFor(core);
  core.systemPathProviders.push(() => wrappingPaths(wrapper));
  core.responseFilters.push(async (req: LogicalRequest, _mount: MountEntry, res: LogicalResponse | undefined) => {
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
  });
  // A JWT-form wrapping token is usable as the client token: it stands for its verified `jti`.
  core.tokenTranslators.push((token) => wrapper.signer.verify(token));
  core.tokens.onRevoke((entry) => wrapper.forget(entry));
  core.addLifecycleHook({ preSeal: async () => wrapper.signer.forget() });
  return wrapper;
}
