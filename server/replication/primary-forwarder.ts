import type { LogicalRequest } from '../core/logical.js';
import type { LoginAlias } from '../core/replication-role.js';
import { VaultError } from '../core/vault-error.js';
import { forwardedRequestOf, type ForwardedAnswer } from './forwarded-request.js';
import { LOGIN_ENTITY_PATH, loginEntityRequestOf, parseLoginEntityAnswer } from './login-entity-request.js';
import { isDetached, type ReplicationState } from './replication-state.js';
import type { SecondaryStream } from './secondary-stream.js';

const READ_AFTER_WRITE_WAIT_MS = 2000;
/** How long a login waits for the primary to answer for its entity before going on without one. */
const LOGIN_ENTITY_TIMEOUT_MS = 5000;

/** What a secondary forwards through: its role and the stream to its primary (absent when none). */
export interface ForwardingRoute {
  readonly state: ReplicationState;
  readonly stream: Pick<SecondaryStream, 'client' | 'waitForWal'> | undefined;
}

/** A forwarded write's answer, as the HTTP layer relays it. */
export interface ForwardedResult {
  readonly status: number;
  readonly body: Buffer;
  readonly warnings: string[];
  /** The primary's `X-Vault-Index` state of the write. */
  readonly indexState?: string;
}

/**
 * Forwards a secondary's writes of replicated state to its primary over the cluster channel and
 * waits (bounded) until each write streamed back, so a client reads its own write here.
 */
export class PrimaryForwarder {
  /** Requests forwarded to the primary (a counter, for metrics). */
  forwardedRequests = 0;

  constructor(private readonly route: () => ForwardingRoute) {}

  /** The caller's token use was already taken here, where the token lives. */
  async forward(req: LogicalRequest): Promise<ForwardedResult> {
    const { state, stream } = this.route();
    if (state.role === 'secondary' && isDetached(state)) {
      throw new VaultError(
        'read_only',
        state.fencedByEpoch !== undefined
          ? `this cluster stopped acting as primary: a newer primary (replication epoch ${state.fencedByEpoch}) exists; replicated writes are refused until this cluster follows it (secondary/update-primary)`
          : 'this cluster is a replication secondary without a primary (demoted); replicated writes are refused until it follows a primary (secondary/update-primary)',
      );
    }
    if (state.role !== 'secondary' || stream === undefined) throw new VaultError('read_only', 'cannot write to readonly storage');
    // Who the caller is and what it asked for; the primary decides create-vs-update and authorises.
    const fwd = forwardedRequestOf(req);
    this.forwardedRequests++;
    let answer: ForwardedAnswer;
    try {
      const res = await stream.client.request('POST', '/v1/replication/forward', fwd);
      if (res.status !== 200) throw new Error(`primary answered ${res.status}`);
      answer = JSON.parse(res.body.toString('utf8')) as ForwardedAnswer;
    } catch (err) {
      throw new VaultError('upstream', `error forwarding the request to the primary: ${(err as Error).message}`);
    }
    const caughtUp = await stream.waitForWal(answer.walIndex, READ_AFTER_WRITE_WAIT_MS);
    const warnings = caughtUp ? [] : ['the write was accepted by the primary but has not replicated to this secondary yet'];
    return {
      status: answer.status,
      body: answer.body === null ? Buffer.alloc(0) : Buffer.from(JSON.stringify(answer.body)),
      warnings,
      ...(typeof answer.indexState === 'string' ? { indexState: answer.indexState } : {}),
    };
  }

  /**
   * Has the primary find or create the entity of a first login here, and waits (bounded) until it
   * replicated back. Resolves to its id (readable here when it arrived in time), or undefined when
   * this cluster has no primary to ask; a failure to reach the primary is thrown.
   */
  async createLoginEntity(alias: LoginAlias): Promise<string | undefined> {
    const { state, stream } = this.route();
    if (state.role !== 'secondary' || isDetached(state) || stream === undefined) return undefined;
    this.forwardedRequests++;
    const res = await stream.client.request('POST', LOGIN_ENTITY_PATH, loginEntityRequestOf(alias), LOGIN_ENTITY_TIMEOUT_MS);
    if (res.status !== 200) throw new Error(`primary answered ${res.status}`);
    const answer = parseLoginEntityAnswer(JSON.parse(res.body.toString('utf8')));
    await stream.waitForWal(answer.wal_index, READ_AFTER_WRITE_WAIT_MS);
    return answer.entity_id;
  }
}
