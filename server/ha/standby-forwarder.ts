import type { IncomingHttpHeaders } from 'node:http';
import http2, { type ClientHttp2Session } from 'node:http2';
import { VaultError } from '../core/vault-error.js';
import { MAX_API_ANSWER_BYTES, readBoundedBody } from '../replication/bounded-body.js';
import { clusterAuthority, type ClusterCredentials } from '../replication/cluster-client.js';
import { FORWARDED_FOR_HEADER, forwardableHeaders, HA_SERVER_NAME, LOCAL_FORWARDING_KEY_HEADER, NOT_ACTIVE_HEADER } from './ha-cluster-channel.js';
import type { HaManager } from './ha-manager.js';

/** Vault's opt-out: a standby answers 307 to the active node instead of forwarding. */
const NO_FORWARDING_HEADER = 'x-vault-no-request-forwarding';

/** Paths a standby answers itself (as Vault's do); everything else goes to the active node. */
const SERVED_ON_STANDBY = new Set(['sys/init', 'sys/seal-status', 'sys/unseal', 'sys/leader', 'sys/health']);
const FORWARD_ATTEMPTS = 2;
/** How long a forwarded request may take at the active node. */
const FORWARD_TIMEOUT_MS = 90_000;

export interface StandbyRequest {
  readonly method: string;
  /** The original URL: `/v1/…` with its query. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly remoteAddress: string;
}

export interface StandbyAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/**
 * How a standby hands a client request to the active node and relays its answer: over the
 * active's cluster port (`ClusterPortForwarder`).
 */
export interface StandbyForwarder {
  forward(req: StandbyRequest): Promise<StandbyAnswer>;
}

/** The HTTP layer's view of HA: when to forward, through what, and whom to believe about a client's address. */
export interface StandbyRouting {
  isStandby(): boolean;
  readonly forwarder: StandbyForwarder;
  /** The client address a forwarding standby vouches for, or undefined when the request is not one. */
  trustedClientAddress(headers: IncomingHttpHeaders): string | undefined;
}

/** Whether a standby answers `/v1/<path>` itself. */
export function isServedOnStandby(url: string): boolean {
  const path = (url.split('?')[0] ?? '').replace(/^\/v1\//, '').replace(/\/+$/, '');
  return SERVED_ON_STANDBY.has(path);
}

/**
 * Forwards over the cluster port: HTTP/2 with mutual TLS to the cluster address the active node
 * advertises, authenticated by the cluster's HA CA (`HaClusterChannel`). One session per active.
 */
export class ClusterPortForwarder implements StandbyForwarder {
  private session: { addr: string; credentials: ClusterCredentials; session: ClientHttp2Session } | undefined;

  constructor(private readonly ha: Pick<HaManager, 'activeNode' | 'forwardingCredentials'>) {}

  async forward(req: StandbyRequest): Promise<StandbyAnswer> {
    for (let attempt = 1; ; attempt++) {
      const active = await this.ha.activeNode({ fresh: attempt > 1 });
      if (active === undefined) throw new VaultError('sealed', 'no active Vault instance found');
      if (req.headers[NO_FORWARDING_HEADER] !== undefined && req.headers[NO_FORWARDING_HEADER] !== '') {
        return { status: 307, headers: { location: new URL(req.url, active.apiAddr).toString() }, body: Buffer.alloc(0) };
      }
      const credentials = await this.ha.forwardingCredentials();
      if (credentials === undefined) throw new VaultError('sealed', 'no active Vault instance found');
      let wasSent = false;
      try {
        const answer = await this.send(active.clusterAddr, credentials, req, () => (wasSent = true));
        if (!answer.isFromFormerActive || attempt >= FORWARD_ATTEMPTS) return answer.answer;
        continue;
      } catch (err) {
        this.close();
        // The active may just have died: ask the lock row again once, then give up. A write that
        // reached the active may have been applied: only the client may decide to send it again.
        const isSafeToRepeat = !wasSent || req.method === 'GET' || req.method === 'HEAD';
        if (attempt >= FORWARD_ATTEMPTS || !isSafeToRepeat)
          throw new VaultError('sealed', `error forwarding the request to the active node: ${(err as Error).message}`);
      }
    }
  }

  close(): void {
    this.session?.session.destroy();
    this.session = undefined;
  }

  private connect(addr: string, credentials: ClusterCredentials): ClientHttp2Session {
    const current = this.session;
    if (current !== undefined && current.addr === addr && current.credentials === credentials && !current.session.closed && !current.session.destroyed) {
      return current.session;
    }
    this.close();
    const session = http2.connect(clusterAuthority(addr), {
      ca: credentials.caCertPem,
      cert: credentials.client.certPem,
      key: credentials.client.keyPem,
      servername: HA_SERVER_NAME,
      minVersion: 'TLSv1.3',
    });
    session.on('error', () => undefined);
    session.unref();
    this.session = { addr, credentials, session };
    return session;
  }

  private async send(
    addr: string,
    credentials: ClusterCredentials,
    req: StandbyRequest,
    onSent: () => void,
  ): Promise<{ answer: StandbyAnswer; isFromFormerActive: boolean }> {
    const session = this.connect(addr, credentials);
    // Until the TLS session is up nothing of the request has left this node.
    if (session.connecting) {
      await new Promise<void>((resolve, reject) => {
        session.once('connect', () => resolve());
        session.once('error', reject);
        session.once('close', () => reject(new Error('the active node closed the connection')));
      });
    }
    onSent();
    const stream = session.request({
      ':method': req.method,
      ':path': req.url,
      ...forwardableHeaders(req.headers),
      [FORWARDED_FOR_HEADER]: req.remoteAddress,
    });
    stream.setTimeout(FORWARD_TIMEOUT_MS, () => stream.close(http2.constants.NGHTTP2_CANCEL));
    stream.end(req.body.length > 0 && req.method !== 'GET' && req.method !== 'HEAD' ? req.body : undefined);
    const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      stream.once('response', resolve);
      stream.once('error', reject);
      stream.once('close', () => reject(new Error('the active node closed the forwarding stream')));
    });
    const body = await readBoundedBody(stream, MAX_API_ANSWER_BYTES);
    const out: Record<string, string> = {};
    for (const name of ['content-type', 'location', 'retry-after', 'x-vault-index']) {
      const value = headers[name];
      if (typeof value === 'string') out[name] = value;
    }
    return { answer: { status: Number(headers[':status']), headers: out, body }, isFromFormerActive: headers[NOT_ACTIVE_HEADER] === 'true' };
  }
}

/** The HTTP layer's routing for a node with HA. */
export function standbyRouting(ha: HaManager): StandbyRouting {
  return {
    isStandby: () => ha.isStandby,
    forwarder: new ClusterPortForwarder(ha),
    trustedClientAddress: (headers) => {
      const key = headers[LOCAL_FORWARDING_KEY_HEADER];
      const forwardedFor = headers[FORWARDED_FOR_HEADER];
      if (typeof key !== 'string' || typeof forwardedFor !== 'string') return undefined;
      return ha.channel.isLocalForwardingKey(key) ? forwardedFor : undefined;
    },
  };
}
