import type { Logger } from 'pino';
import { type Acl, aclPathOf } from './acl.js';
import type { DeviceAuditBroker } from './audit/device-audit-broker.js';
import { isAddressAllowed } from './bound-cidrs.js';
import type { LogicalBackend } from './logical-backend.js';
import { matchesPathGlob } from './logical-backend.js';
import type { LogicalRequest, LogicalResponse, RequestAuth } from './logical.js';
import type { PostResponseStep } from './post-response-steps.js';
import type { Route } from './router.js';
import { answersWhileSealed } from './sealed-paths.js';
import { DR_SECONDARY_REFUSAL, isServedOnDrSecondary } from './dr-secondary-paths.js';
import type { ReplicationView } from './replication-role.js';
import { REVOCATION_PENDING, type TokenEntry, type TokenStore } from './token-store.js';
import { WriteRefusedError } from '../storage/backend.js';
import { VaultError } from './vault-error.js';

/** What request handling needs of the core (the core passes itself). */
export interface RequestContext {
  readonly isServing: boolean;
  readonly logger: Logger;
  readonly tokens: TokenStore;
  readonly audit: DeviceAuditBroker;
  readonly postResponseSteps: readonly PostResponseStep[];
  builtinBackend(path: string): LogicalBackend;
  route(path: string): Route | undefined;
  resolveToken(clientToken: string): Promise<TokenEntry | undefined>;
  effectivePoliciesOf(token: TokenEntry): Promise<{ policies: string[]; isEntityDisabled: boolean }>;
  aclFor(policyNames: readonly string[]): Promise<Acl>;
  readonly replication: ReplicationView;
}

/**
 * Handles one request end to end: seal check, routing, token (one use of a limited-use token
 * is taken here, before anything runs), existence check, ACL (with sudo), audit (fail closed),
 * the backend; a token whose last use this request took is revoked when it is over.
 *
 * `trustedAuth` is the caller as a replication secondary resolved it (tokens are local to each
 * cluster). Only the identity and policy names are taken from it: the operation is decided by
 * this cluster's existence check and authorised against this cluster's policy definitions.
 */
export async function handleRequest(
  core: RequestContext,
  req: LogicalRequest,
  options: { trustedAuth?: RequestAuth } = {},
): Promise<LogicalResponse | undefined> {
  try {
    return await handleServedRequest(core, req, options);
  } catch (err) {
    // Storage refused the write because this node is no longer the HA active node: not the
    // client's mistake and not an internal error; the retry reaches the new active node.
    if (err instanceof WriteRefusedError) throw new VaultError('standby', 'this node is no longer the active node; retry the request');
    throw err;
  }
}

async function handleServedRequest(core: RequestContext, req: LogicalRequest, options: { trustedAuth?: RequestAuth }): Promise<LogicalResponse | undefined> {
  if (!core.isServing && !answersWhileSealed(req.path)) {
    throw new VaultError('sealed', 'Vault is sealed');
  }
  if (core.replication.isDrSecondary?.() === true && !isServedOnDrSecondary(req.path)) throw new VaultError('invalid_request', DR_SECONDARY_REFUSAL);
  if (!core.isServing) {
    const sys = core.builtinBackend('sys/');
    return sys.handleRequest(req, req.path.slice('sys/'.length));
  }
  const route = core.route(req.path);
  if (route === undefined) {
    throw new VaultError('not_found', `no handler for route "${req.path}". route entry not found.`);
  }
  const unauthenticated = matchesPathGlob(route.backend.unauthenticatedPaths, route.relativePath);
  let policies: readonly string[] | undefined;
  let lastUseOf: TokenEntry | undefined;
  if (options.trustedAuth !== undefined) {
    req.auth = options.trustedAuth;
    policies = options.trustedAuth.policies;
    // Create-vs-update is this cluster's decision, made below on its own state.
    if (req.operation === 'create') req.operation = 'update';
  } else if (!unauthenticated || req.clientToken !== '') {
    let token = await core.resolveToken(req.clientToken);
    // A token bound to CIDR blocks is no token at all from elsewhere (no use is taken).
    if (token?.boundCidrs !== undefined && !isAddressAllowed(token.boundCidrs, req.remoteAddress)) token = undefined;
    // A use is taken only where the token authorizes the call (not on unauthenticated paths such as wrapping lookup).
    if (token !== undefined && token.numUses > 0 && !unauthenticated) {
      token = await core.tokens.reserveUse(token.hash);
      if (token !== undefined && token.numUses === REVOCATION_PENDING) lastUseOf = token;
    }
    if (token === undefined && !unauthenticated) {
      if (isUnwrapBySelf(req)) {
        // Vault checks a wrapping token presented as the caller's token as a wrapping token first.
        const invalid = new VaultError('invalid_request', 'wrapping token is not valid or does not exist');
        await core.audit.logRequest(req, invalid);
        throw invalid;
      }
      await core.audit.logRequest(req, new VaultError('permission_denied', 'permission denied'));
      throw new VaultError('permission_denied', 'permission denied');
    }
    if (token) {
      const { policies: effective, isEntityDisabled } = await core.effectivePoliciesOf(token);
      if (isEntityDisabled && !unauthenticated) {
        await core.audit.logRequest(req, new VaultError('permission_denied', 'permission denied'));
        throw new VaultError('permission_denied', 'permission denied');
      }
      req.auth = {
        tokenAccessor: token.accessor,
        tokenHash: token.hash,
        policies: effective,
        displayName: token.displayName,
        isRoot: token.policies.includes('root'),
        entityId: token.entityId,
      };
      policies = effective;
    }
  }
  if (!unauthenticated && policies === undefined) throw new VaultError('permission_denied', 'permission denied');
  try {
    return await dispatch(core, req, route, unauthenticated ? undefined : policies);
  } finally {
    if (lastUseOf !== undefined) {
      await core.tokens.finishLastUse(lastUseOf).catch((err: unknown) => core.logger.warn({ err: String(err) }, 'revoking a used-up token failed'));
    }
  }
}

/** Existence check, ACL, audit, the backend and the post-response steps of an authenticated request. */
async function dispatch(
  core: RequestContext,
  req: LogicalRequest,
  route: Route,
  policies: readonly string[] | undefined,
): Promise<LogicalResponse | undefined> {
  req.requestedOperation ??= req.operation;
  if (req.operation === 'update' && route.backend.existenceCheck) {
    const exists = await route.backend.existenceCheck(req, route.relativePath);
    if (exists === false) req.operation = 'create';
  }
  if (policies !== undefined) await checkAcl(core, req, route, policies);
  await core.audit.logRequest(req);
  let response: LogicalResponse | undefined;
  try {
    response = await route.backend.handleRequest(req, route.relativePath);
  } catch (err) {
    // The backend's error is what the client gets; a device that cannot log it is reported here.
    await core.audit
      .logResponse(req, undefined, err instanceof Error ? err : new Error(String(err)))
      .catch((auditErr: unknown) => core.logger.error({ request_id: req.id, err: String(auditErr) }, 'audit of a failed request failed'));
    throw err;
  }
  for (const step of core.postResponseSteps) response = await step.run(req, route.entry, response);
  return response;
}

async function checkAcl(
  core: RequestContext,
  req: LogicalRequest,
  route: { relativePath: string; backend: LogicalBackend },
  policies: readonly string[],
): Promise<void> {
  const acl = await core.aclFor(policies);
  const check = acl.check(req.path, req.operation, req.data);
  // Root-protected paths are matched on the path as the ACL sees it (a LIST with its trailing `/`).
  const needsSudo = matchesPathGlob(route.backend.sudoPaths, aclPathOf(route.relativePath, req.operation));
  if (!check.allowed || (needsSudo && !check.sudo)) {
    await core.audit.logRequest(req, new VaultError('permission_denied', 'permission denied'));
    throw new VaultError('permission_denied', 'permission denied');
  }
}

/** An unwrap whose wrapping token is the caller's own token (no `token` in the body). */
function isUnwrapBySelf(req: LogicalRequest): boolean {
  const bodyToken = req.data.token;
  return req.path === 'sys/wrapping/unwrap' && req.operation === 'update' && (bodyToken === undefined || bodyToken === null || bodyToken === '');
}
