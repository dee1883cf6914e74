import type { LogicalRequest } from '../../core/logical.js';
import type { PathDefinition } from '../../core/path-table.js';
import { invalidRequest } from '../../core/vault-error.js';
import type { ResponseWrapper } from '../../core/wrapping/response-wrapper.js';
import { requestedWrapFormat } from '../../core/wrapping/wrap-requested-response.js';

/** Vault's default TTL for `sys/wrapping/wrap` when the request carries no `X-Vault-Wrap-TTL`. */
export const DEFAULT_WRAP_TTL_SECONDS = 300;

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
