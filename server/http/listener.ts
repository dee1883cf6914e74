import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import type { Express } from 'express';
import { expressMessageClasses } from './express-message-classes.js';
import { attachListMethodRewrite } from './list-method-shim.js';

export interface ListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: { certFile: string; keyFile: string };
}

export interface Listener {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves the app on a TCP (or TLS) listener, with the LIST-method shim in front of the parser. */
export async function listen(app: Express, options: ListenerOptions): Promise<Listener> {
  const http: Server = createHttpServer(expressMessageClasses(app), app);
  http.keepAliveTimeout = 65_000;
  // Requests the HTTP parser itself refuses (oversized headers or URL, garbage) still get
  // Vault's error envelope rather than an empty body.
  http.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify({ errors: [tooLarge ? 'request header fields or URL too large' : 'malformed HTTP request'] });
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  // CONNECT is no part of Vault's API; without a listener Node would drop the connection unanswered.
  http.on('connect', (_req, socket: Duplex) => {
    const body = JSON.stringify({ errors: ['unsupported operation'] });
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  const onSocket = (socket: Socket) => {
    attachListMethodRewrite(socket);
    http.emit('connection', socket);
  };
  const server: NetServer = options.tls
    ? createTlsServer({ cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }, onSocket)
    : createNetServer(onSocket);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
