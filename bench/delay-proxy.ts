import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A user-space TCP proxy on loopback that delays every chunk, in each direction, by `delayMs`
 * (this kernel has no netem). Bandwidth is not limited and order is kept: a chunk leaves
 * `delayMs` after it arrived, so a round trip through the proxy costs 2 × delayMs. The delay can
 * change between connections (it applies to chunks arriving after the change).
 */
export class DelayProxy {
  delayMs = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number, delayMs = 0): Promise<DelayProxy> {
    let proxy: DelayProxy | undefined;
    const server = createServer((client) => proxy?.accept(client, targetHost, targetPort));
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
    proxy = new DelayProxy(server, port);
    proxy.delayMs = delayMs;
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  private accept(client: Socket, host: string, port: number): void {
    const upstream = connect(port, host);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  /** Forwards `from` → `to`, each chunk `delayMs` after it arrived; an end or close follows the last chunk. */
  private pipe(from: Socket, to: Socket): void {
    const queue: { due: number; chunk: Buffer | null }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      timer = undefined;
      const now = performance.now();
      while (queue.length > 0 && (queue[0]?.due ?? Infinity) <= now) {
        const { chunk } = queue.shift() as { due: number; chunk: Buffer | null };
        if (chunk === null) to.end();
        else if (!to.destroyed) to.write(chunk);
      }
      schedule();
    };
    const schedule = (): void => {
      if (timer !== undefined || queue.length === 0) return;
      timer = setTimeout(flush, Math.max(0, (queue[0]?.due ?? 0) - performance.now()));
    };
    const enqueue = (chunk: Buffer | null): void => {
      queue.push({ due: performance.now() + this.delayMs, chunk });
      if (this.delayMs === 0) flush();
      else schedule();
    };
    from.on('data', (chunk: Buffer) => enqueue(chunk));
    from.on('end', () => enqueue(null));
    from.on('close', () => setTimeout(() => to.destroy(), this.delayMs + 1));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
