import { decodeJwt, decodeProtectedHeader } from 'jose';
import { invalidRequest } from '../core/vault-error.js';
import type { ReplicationKind } from './replication-state.js';

export interface ActivationClaims {
  /** The primary's API address the token names; empty when it names none. */
  readonly addr: string;
  /** The replication type the token activates (tokens without the claim: performance). */
  readonly kind: ReplicationKind;
}

/** Checks what the secondary can check itself before any network call: shape, algorithm, type, time. */
export function checkActivationToken(token: string): ActivationClaims {
  if (typeof token !== 'string' || token.split('.').length !== 3) throw invalidRequest('invalid activation token: not a signed JWT');
  let header: ReturnType<typeof decodeProtectedHeader>;
  let claims: ReturnType<typeof decodeJwt>;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch {
    throw invalidRequest('invalid activation token: malformed JWT');
  }
  if (header.alg !== 'ES512') throw invalidRequest('invalid activation token: unexpected signing algorithm');
  if (claims.type !== 'wrapping') throw invalidRequest('invalid activation token: not a wrapping token');
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp < now - 5) throw invalidRequest('invalid activation token: expired');
  if (typeof claims.nbf === 'number' && claims.nbf > now + 30) throw invalidRequest('invalid activation token: not yet valid');
  return { addr: typeof claims.addr === 'string' ? claims.addr : '', kind: claims.replication_type === 'dr' ? 'dr' : 'performance' };
}

/**
 * The primary API address an activation uses: the one the operator gave, else the token's.
 * A token that names none and no address given is the caller's mistake.
 */
export function activationApiAddr(token: string, primaryApiAddr: string, kind: ReplicationKind = 'performance'): string {
  const claims = checkActivationToken(token);
  if (claims.kind !== kind) {
    throw invalidRequest(
      claims.kind === 'dr'
        ? 'this is a DR secondary activation token; use it with sys/replication/dr/secondary/enable'
        : 'this is a performance secondary activation token; use it with sys/replication/performance/secondary/enable',
    );
  }
  const apiAddr = primaryApiAddr || claims.addr;
  if (apiAddr === '') throw invalidRequest('the activation token carries no primary API address; set primary_api_addr');
  return apiAddr;
}
