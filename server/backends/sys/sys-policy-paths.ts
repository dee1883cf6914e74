import type { Core } from '../../core/core.js';
import type { PathDefinition, PathContext } from '../../core/path-table.js';
import type { LookupOptions } from '../../core/token-store.js';
import { invalidRequest, notFound } from '../../core/vault-error.js';

/** `sys/policy` (legacy) and `sys/policies/acl`, plus `sys/capabilities*`. */
export function policyPaths(core: Core): PathDefinition[] {
  const write = async ({ captures, fields }: PathContext) => {
    const text = fields.string('policy') || fields.string('rules');
    if (text === '') throw invalidRequest("'policy' parameter not supplied or empty");
    await core.policies.set(captures.name as string, text);
    return {};
  };
  const list = async () => {
    const keys = await core.policies.list();
    return { data: { keys, policies: keys }, injectDataAtTopLevel: true };
  };
  const readPolicy =
    (legacy: boolean) =>
    async ({ captures }: PathContext) => {
      const name = (captures.name as string).toLowerCase();
      if (name === 'root') return { data: { name, rules: '', policy: '' }, injectDataAtTopLevel: true };
      const text = await core.policies.getText(name);
      if (text === undefined) throw notFound();
      return { data: legacy ? { name, rules: text } : { name, policy: text }, injectDataAtTopLevel: true };
    };
  const remove = async ({ captures }: PathContext) => {
    await core.policies.delete(captures.name as string);
    return {};
  };
  const policyFields = { policy: { type: 'string' }, rules: { type: 'string' } } as const;
  // The one answer of all three capabilities endpoints: `Acl.capabilities` over the token's
  // effective policies (its own and its entity's), which reports exactly what enforcement
  // (`Acl.check`) allows, LIST normalisation included.
  const capabilitiesOf = async (policies: readonly string[], paths: string[]) => {
    const acl = await core.aclFor(policies);
    const data: Record<string, unknown> = {};
    for (const path of paths) data[path] = acl.capabilities(path);
    if (paths.length === 1) data.capabilities = data[paths[0] as string];
    return { data, injectDataAtTopLevel: true };
  };
  const capabilities = async (token: string, paths: string[], lookup: LookupOptions = {}) => {
    const entry = await core.resolveToken(token, lookup);
    if (entry === undefined) throw invalidRequest('invalid token');
    return capabilitiesOf((await core.effectivePoliciesOf(entry)).policies, paths);
  };
  const pathsField = { path: { type: 'comma-list' }, paths: { type: 'comma-list' }, token: { type: 'string' }, accessor: { type: 'string' } } as const;
  const requestedPaths = (ctx: PathContext): string[] => {
    const paths = [...ctx.fields.list('paths'), ...ctx.fields.list('path')];
    if (paths.length === 0) throw invalidRequest('missing paths');
    return paths;
  };
  return [
    { pattern: 'policy', operations: { read: list, list } },
    { pattern: 'policy/(?<name>[^/]+)', fields: policyFields, operations: { read: readPolicy(true), update: write, delete: remove } },
    { pattern: 'policies/acl/?', operations: { list, read: list } },
    { pattern: 'policies/acl/(?<name>[^/]+)', fields: policyFields, operations: { read: readPolicy(false), update: write, delete: remove } },
    {
      pattern: 'capabilities-self',
      fields: pathsField,
      // The caller's own token resolves even when this request took its last use.
      operations: { update: async (ctx) => capabilities(ctx.req.clientToken, requestedPaths(ctx), { includeRevocationPending: true }) },
    },
    {
      pattern: 'capabilities',
      fields: pathsField,
      operations: { update: async (ctx) => capabilities(ctx.fields.string('token'), requestedPaths(ctx)) },
    },
    {
      pattern: 'capabilities-accessor',
      fields: pathsField,
      operations: {
        update: async (ctx) => {
          const entry = await core.tokens.lookupByAccessor(ctx.fields.string('accessor'));
          if (entry === undefined) throw invalidRequest('invalid accessor');
          return capabilitiesOf((await core.effectivePoliciesOf(entry)).policies, requestedPaths(ctx));
        },
      },
    },
  ];
}
