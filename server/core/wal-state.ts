import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';

/**
 * A position in a replication set's storage, as Vault's `X-Vault-Index` header carries it
 * (Vault's `WALState`): the id of the replication set, the position of cluster-local writes and
 * the WAL index of replicated state.
 */
export interface WalState {
  readonly clusterId: string;
  readonly localIndex: number;
  readonly replicatedIndex: number;
}

/** Why a header value is not a state of this cluster. */
export type WalStateRefusal = 'malformed' | 'forged';

export type ParsedWalState = { readonly ok: true; readonly state: WalState } | { readonly ok: false; readonly reason: WalStateRefusal };

const VERSION = 'v1';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const INDEX = /^\d{1,16}$/;
const HMAC_HEX = /^[0-9a-f]{64}$/i;

/** `hmacKey`: raw bytes or, on the request path, the key as a `KeyObject` made once (see IndexHeaderKey). */
function macOf(body: string, hmacKey: Buffer | KeyObject): Buffer {
  return createHmac('sha256', hmacKey).update(body).digest();
}

/**
 * The header value of `state`: base64 of `v1:<cluster id>:<local index>:<replicated index>:<hmac>`,
 * the HMAC-SHA256 (hex) of everything before the last colon, keyed by `hmacKey`.
 */
export function encodeWalState(state: WalState, hmacKey: Buffer | KeyObject): string {
  const body = `${VERSION}:${state.clusterId}:${state.localIndex}:${state.replicatedIndex}`;
  return Buffer.from(`${body}:${macOf(body, hmacKey).toString('hex')}`, 'utf8').toString('base64');
}

/**
 * Reads one header value. `malformed`: not base64, not the v1 layout, an index that is not a
 * whole number; `forged`: well formed, but its HMAC is not one `hmacKey` made (compared in
 * constant time), so it was altered or comes from a cluster with another key. Without a key (a
 * client, which never holds it) the HMAC is not checked, as in Vault's client.
 */
export function parseWalState(raw: string, hmacKey: Buffer | KeyObject | undefined): ParsedWalState {
  const value = raw.trim();
  if (value.length === 0 || value.length % 4 !== 0 || !BASE64.test(value)) return { ok: false, reason: 'malformed' };
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const lastColon = decoded.lastIndexOf(':');
  if (lastColon === -1) return { ok: false, reason: 'malformed' };
  const body = decoded.slice(0, lastColon);
  const macHex = decoded.slice(lastColon + 1);
  const pieces = body.split(':');
  const [version, clusterId, local, replicated] = pieces;
  if (
    pieces.length !== 4 ||
    version !== VERSION ||
    clusterId === undefined ||
    clusterId === '' ||
    local === undefined ||
    !INDEX.test(local) ||
    replicated === undefined ||
    !INDEX.test(replicated) ||
    !HMAC_HEX.test(macHex)
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const localIndex = Number(local);
  const replicatedIndex = Number(replicated);
  if (!Number.isSafeInteger(localIndex) || !Number.isSafeInteger(replicatedIndex)) return { ok: false, reason: 'malformed' };
  if (hmacKey !== undefined && !timingSafeEqual(Buffer.from(macHex, 'hex'), macOf(body, hmacKey))) return { ok: false, reason: 'forged' };
  return { ok: true, state: { clusterId, localIndex, replicatedIndex } };
}

/**
 * Whether a node at `current` holds everything `required` names: the same replication set, and
 * neither index behind. States of another set are never reached (their indexes count another log).
 */
export function isWalStateReached(required: WalState, current: WalState): boolean {
  return required.clusterId === current.clusterId && required.localIndex <= current.localIndex && required.replicatedIndex <= current.replicatedIndex;
}
