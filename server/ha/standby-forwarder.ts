import type { IncomingHttpHeaders } from 'node:http';
import { VaultError } from '../core/vault-error.js';
import type { HaManager } from './ha-manager.js';

/** The client's address, as the standby that forwarded the request saw it (trusted only with the key). */
export const FORWARDED_FOR_HEADER = 'x-ferry-forwarded-for';
/** The cluster's forwarding key (base64), proving the sender is a node of this cluster. */
export const FORWARDING_KEY_HEADER = 'x-ferry-forwarding-key';
/** Vault's opt-out: a standby answers 307 to the active node instead of forwarding. */
const NO_FORWARDING_HEADER = 'x-vault-no-request-forwarding';

/** Paths a standby answers itself (as Vault's do); everything else goes to the active node. */
const SERVED_ON_STANDBY = new Set(['sys/init', 'sys/seal-status', 'sys/unseal', 'sys/leader', 'sys/health']);
/** Headers that describe one connection, not the request. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'te', 'trailer', 'proxy-connection']);
const FORWARD_ATTEMPTS = 2;

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
 * How a standby hands a client request to the active node and relays its answer. Today over the
 * active's API address; Vault's mTLS channel on the cluster port can replace it behind this interface.
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

/** Forwards over HTTP(S) to the API address the active node advertises in the lock row. */
export class ApiAddressForwarder implements StandbyForwarder {
  constructor(private readonly ha: HaManager) {}

  async forward(req: StandbyRequest): Promise<StandbyAnswer> {
    for (let attempt = 1; ; attempt++) {
      const active = await this.ha.activeApiAddress({ fresh: attempt > 1 });
      if (active === undefined) throw new VaultError('sealed', 'no active Vault instance found');
      if (req.headers[NO_FORWARDING_HEADER] !== undefined && req.headers[NO_FORWARDING_HEADER] !== '') {
        return { status: 307, headers: { location: new URL(req.url, active).toString() }, body: Buffer.alloc(0) };
      }
      const key = await this.ha.standbyForwardingKey();
      if (key === undefined) throw new VaultError('sealed', 'no active Vault instance found');
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined || HOP_BY_HOP.has(name) || name === FORWARDED_FOR_HEADER || name === FORWARDING_KEY_HEADER) continue;
        for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
      }
      headers.set(FORWARDED_FOR_HEADER, req.remoteAddress);
      headers.set(FORWARDING_KEY_HEADER, key.toString('base64'));
      try {
        const res = await fetch(new URL(req.url, active), {
          method: req.method,
          headers,
          redirect: 'manual',
          ...(req.body.length > 0 && req.method !== 'GET' && req.method !== 'HEAD' ? { body: req.body } : {}),
        });
        const body = Buffer.from(await res.arrayBuffer());
        const out: Record<string, string> = {};
        const contentType = res.headers.get('content-type');
        if (contentType !== null) out['content-type'] = contentType;
        const location = res.headers.get('location');
        if (location !== null) out.location = location;
        return { status: res.status, headers: out, body };
      } catch (err) {
        // The active may just have died: ask the lock row again once, then give up.
        if (attempt >= FORWARD_ATTEMPTS) throw new VaultError('sealed', `error forwarding the request to the active node: ${(err as Error).message}`);
      }
    }
  }
}

/** The HTTP layer's routing for a node with HA. */
export function standbyRouting(ha: HaManager): StandbyRouting {
  return {
    isStandby: () => ha.isStandby,
    forwarder: new ApiAddressForwarder(ha),
    trustedClientAddress: (headers) => {
      const key = headers[FORWARDING_KEY_HEADER];
      const forwardedFor = headers[FORWARDED_FOR_HEADER];
      if (typeof key !== 'string' || typeof forwardedFor !== 'string') return undefined;
      return ha.isForwardingKey(key) ? forwardedFor : undefined;
    },
  };
}
