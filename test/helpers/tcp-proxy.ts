/**
 * A loopback TCP proxy a test controls, to put a network fault between two processes: it listens
 * on a free 127.0.0.1 port and forwards every connection to a target. `cut()` severs the channel
 * (every current connection is destroyed; new ones are reset or held silent), `heal()` restores it.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

const LOOPBACK = '127.0.0.1';

/**
 * What happens to connections opened while the channel is cut:
 * - `blackhole`: accepted but nothing passes, as when packets are dropped; what the client sent
 *   waits in the socket (paused) and is delivered once the channel heals, as TCP retransmission would.
 * - `reset`: destroyed at once with a TCP RST, as by a firewall rejecting them.
 */
export type CutMode = 'blackhole' | 'reset';

/** Counters of what passed through the proxy, for test output. */
export interface TcpProxyStats {
  /** Connections forwarded to the target (including held ones released by `heal()`). */
  readonly forwarded: number;
  /** Live connections destroyed by `cut()`. */
  readonly severed: number;
  /** Connections opened during a `blackhole` cut. */
  readonly held: number;
  /** Connections reset during a `reset` cut. */
  readonly reset: number;
}

/** A running proxy. All methods are idempotent. */
export interface TcpProxy {
  /** The proxy's own port on 127.0.0.1. */
  readonly port: number;
  /** Whether the channel is cut right now. */
  readonly isCut: boolean;
  readonly stats: TcpProxyStats;
  /** Destroys every current connection; until `heal()`, new ones are held silent or reset. */
  cut(mode?: CutMode): void;
  /** Forwards again, including the connections held during a `blackhole` cut. */
  heal(): void;
  /**
   * Makes every current connection go silent without a FIN or RST reaching the client (its
   * upstream half is dropped, the client's socket is kept open and ignored), as when the peer's
   * host vanishes. New connections are forwarded as usual.
   */
  freeze(): void;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** Starts a proxy on a free 127.0.0.1 port forwarding to `target` (a loopback port). */
export async function startTcpProxy(target: { readonly host?: string; readonly port: number }): Promise<TcpProxy> {
  const targetHost = target.host ?? LOOPBACK;
  const live = new Set<Socket>();
  let held: Socket[] = [];
  const frozen: Socket[] = [];
  const pairs = new Map<Socket, Socket>();
  let cutMode: CutMode | undefined;
  const stats = { forwarded: 0, severed: 0, held: 0, reset: 0 };

  const forward = (client: Socket): void => {
    stats.forwarded++;
    const upstream = connect({ host: targetHost, port: target.port });
    live.add(client);
    live.add(upstream);
    const teardown = (): void => {
      live.delete(client);
      live.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', teardown).on('close', teardown);
    upstream.on('error', teardown).on('close', teardown);
    pairs.set(client, upstream);
    client.on('close', () => pairs.delete(client));
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    if (cutMode === 'reset') {
      stats.reset++;
      client.on('error', () => undefined);
      client.resetAndDestroy();
    } else if (cutMode === 'blackhole') {
      stats.held++;
      client.on('error', () => undefined);
      held.push(client);
    } else {
      forward(client);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('tcp proxy: no listening address');

  const destroyAll = (sockets: Iterable<Socket>): number => {
    let count = 0;
    for (const socket of [...sockets]) {
      if (!socket.destroyed) count++;
      socket.destroy();
    }
    return count;
  };

  return {
    port: address.port,
    get isCut() {
      return cutMode !== undefined;
    },
    get stats() {
      return { ...stats };
    },
    cut(mode: CutMode = 'blackhole') {
      cutMode = mode;
      // Both ends of a forwarded pair are in `live`: count pairs, not sockets.
      stats.severed += Math.ceil(destroyAll(live) / 2);
      live.clear();
    },
    freeze() {
      for (const [client, upstream] of [...pairs]) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client
          .removeAllListeners('close')
          .removeAllListeners('error')
          .on('error', () => undefined);
        upstream
          .removeAllListeners('close')
          .removeAllListeners('error')
          .on('error', () => undefined);
        client.pause();
        upstream.destroy();
        live.delete(client);
        live.delete(upstream);
        pairs.delete(client);
        frozen.push(client);
      }
    },
    heal() {
      cutMode = undefined;
      const waiting = held;
      held = [];
      for (const client of waiting) if (!client.destroyed) forward(client);
    },
    async close() {
      cutMode = 'reset';
      destroyAll(live);
      destroyAll(held);
      destroyAll(frozen);
      live.clear();
      held = [];
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
