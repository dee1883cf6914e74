import type { KeyObject } from 'node:crypto';
import type { IndexHeaderKey } from './index-header-key.js';
import type { LogicalRequest, LogicalResponse } from './logical.js';
import type { ReplicationView } from './replication-role.js';
import { VaultError } from './vault-error.js';
import { encodeWalState, isWalStateReached, parseWalState, type WalState } from './wal-state.js';

/** The request header naming states a request needs, and the response header naming a write's state. */
export const INDEX_HEADER = 'x-vault-index';
export const INDEX_RESPONSE_HEADER = 'X-Vault-Index';
/** Vault's answer (412) while this node lacks a required state; clients retry. */
export const MISSING_STATE_MESSAGE = 'required index state not present';

/**
 * Ferry's states carry local index 0. A cluster's local writes (tokens, leases) are served only
 * by the node that made them — its active node; HA standbys forward every request — so no node
 * can be behind on them, and they never leave the cluster. What a client can outrun is the
 * replicated log, between a primary and its performance secondaries.
 */
const LOCAL_INDEX = 0;

/** What the guard needs of the core (the core passes itself). */
export interface IndexConsistencyContext {
  readonly isServing: boolean;
  readonly replication: ReplicationView;
  readonly indexHeaderKey: IndexHeaderKey;
}

/**
 * Vault's client-controlled consistency (`X-Vault-Index`, Vault 1.7+), around each client request:
 * - A response to a request that may write (not a read or a list) and during which writes of
 *   replicated state committed carries the state reached when it finished: the replication set's
 *   cluster id and the primary's last replicated WAL index at that moment, HMAC-signed with the
 *   set's replicated key. That index is the request's own last write's, or past it when other
 *   writes committed meanwhile (a client asking for it then waits for those too, never for less);
 *   watching the log's watermark before and after, rather than tagging each write with its
 *   request, keeps an `AsyncLocalStorage` off the request path (in Node 20 it hooks every promise).
 * - A request carrying states (one or more header values, as Vault's `RequireState` sends them)
 *   runs only once this node holds them all; until then it is answered 412
 *   `required index state not present` and changes nothing. A value that is not a state of this
 *   replication set — malformed, altered, signed by another set's key, or of another set — is a
 *   400: no retry can make it pass. Errors never echo the value.
 * `X-Vault-Inconsistent: forward-active-node` needs nothing here: an HA standby forwards every
 * request to its active node (headers included), which decides; the active node of a
 * performance secondary answers 412 itself, as Vault's does.
 * A cluster outside replication has one serving node holding every acknowledged write: it checks
 * that a state is its own and serves the request.
 */
export class IndexConsistency {
  constructor(private readonly ctx: IndexConsistencyContext) {}

  /**
   * The last state header made: the writes of one commit group are answered together, after the
   * whole group committed, so they all name the same watermark and share one HMAC.
   */
  private lastState: { readonly clusterId: string; readonly replicatedWal: number; readonly key: KeyObject; readonly value: string } | undefined;

  async handle(req: LogicalRequest, run: () => Promise<LogicalResponse | undefined>): Promise<LogicalResponse | undefined> {
    const { replication } = this.ctx;
    if (!this.ctx.isServing || replication.walPosition === undefined) return run();
    const required = req.headers[INDEX_HEADER];
    if (required !== undefined && required.trim() !== '') await this.requireStates(required);
    // Reads and lists change no replicated state: they answer with no state, as in Vault.
    const before = req.operation === 'read' || req.operation === 'list' ? undefined : replication.replicatedWatermark?.();
    const result = await run();
    if (before === undefined) return result;
    const after = replication.replicatedWatermark?.() ?? 0;
    if (after <= before) return result;
    const state = await this.stateHeader(after);
    if (state === undefined) return result;
    const response = result ?? {};
    response.headers = { ...response.headers, [INDEX_RESPONSE_HEADER]: state };
    return response;
  }

  private async requireStates(header: string): Promise<void> {
    const position = this.ctx.replication.walPosition?.();
    const key = await this.ctx.indexHeaderKey.get(this.canMint());
    // A secondary still without its primary's key (an activation's sync in progress) cannot tell yet.
    if (key === undefined) throw new VaultError('precondition_failed', MISSING_STATE_MESSAGE);
    const current: WalState | undefined = position && { clusterId: position.clusterId, localIndex: LOCAL_INDEX, replicatedIndex: position.replicatedWal };
    for (const raw of header.split(',')) {
      const parsed = parseWalState(raw, key);
      if (!parsed.ok) throw new VaultError('invalid_request', 'invalid X-Vault-Index header');
      if (current === undefined) continue;
      if (parsed.state.clusterId !== current.clusterId) throw new VaultError('invalid_request', 'X-Vault-Index names a state of another replication set');
      if (!isWalStateReached(parsed.state, current)) throw new VaultError('precondition_failed', MISSING_STATE_MESSAGE);
    }
  }

  private async stateHeader(replicatedWal: number): Promise<string | undefined> {
    const position = this.ctx.replication.walPosition?.();
    if (position === undefined) return undefined;
    const key = await this.ctx.indexHeaderKey.get(this.canMint());
    if (key === undefined) return undefined;
    const last = this.lastState;
    if (last !== undefined && last.replicatedWal === replicatedWal && last.clusterId === position.clusterId && last.key === key) return last.value;
    const value = encodeWalState({ clusterId: position.clusterId, localIndex: LOCAL_INDEX, replicatedIndex: replicatedWal }, key);
    this.lastState = { clusterId: position.clusterId, replicatedWal, key, value };
    return value;
  }

  /** Only a cluster that writes replicated state mints the key; a secondary waits for its primary's. */
  private canMint(): boolean {
    const mode = this.ctx.replication.mode();
    return mode === 'primary' || mode === 'disabled';
  }
}
