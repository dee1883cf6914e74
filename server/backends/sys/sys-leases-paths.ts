import type { ExpirationManager } from '../../core/expiration/expiration-manager.js';
import type { PathContext, PathDefinition } from '../../core/path-table.js';
import { invalidRequest, notFound } from '../../core/vault-error.js';

/** `sys/leases/*` and the legacy `sys/renew`, `sys/revoke*` paths. */
export function leasePaths(manager: ExpirationManager): PathDefinition[] {
  const leaseFields = { lease_id: { type: 'string' }, increment: { type: 'duration' }, sync: { type: 'bool', default: true } } as const;
  const leaseIdOf = ({ captures, fields }: PathContext): string => {
    const id = captures.lease_id ?? fields.string('lease_id');
    if (id === '') throw invalidRequest('lease_id must be specified');
    return id;
  };
  const renew = async (ctx: PathContext) => manager.renew(leaseIdOf(ctx), ctx.fields.seconds('increment'));
  const revoke = async (ctx: PathContext) => (await manager.revoke(leaseIdOf(ctx)), {});
  const revokePrefix =
    (force: boolean) =>
    async ({ captures }: PathContext) => (await manager.revokePrefix(captures.prefix as string, { force }), {});
  const list = async ({ captures }: PathContext) => {
    const keys = await manager.list(captures.prefix ?? '');
    if (keys.length === 0) throw notFound();
    return { data: { keys } };
  };
  return [
    { pattern: 'leases/lookup', fields: leaseFields, operations: { update: async (ctx) => ({ data: { ...(await manager.lookup(leaseIdOf(ctx))) } }) } },
    { pattern: 'leases/lookup/(?<prefix>.*)', operations: { list } },
    { pattern: '(?:leases/)?renew', fields: leaseFields, operations: { update: renew } },
    { pattern: '(?:leases/)?renew/(?<lease_id>.+)', fields: leaseFields, operations: { update: renew } },
    { pattern: '(?:leases/)?revoke', fields: leaseFields, operations: { update: revoke } },
    { pattern: '(?:leases/)?revoke/(?<lease_id>.+)', fields: leaseFields, operations: { update: revoke } },
    { pattern: '(?:leases/)?revoke-prefix/(?<prefix>.+)', fields: { sync: { type: 'bool' } }, operations: { update: revokePrefix(false) } },
    { pattern: '(?:leases/)?revoke-force/(?<prefix>.+)', operations: { update: revokePrefix(true) } },
  ];
}
