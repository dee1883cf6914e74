import { X509Certificate } from 'node:crypto';
import http2, { type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';

/** One service on the cluster port, with its own certificate and its own CA for client certificates. */
export interface ClusterPortTenant {
  readonly tls: { readonly key: string; readonly cert: string; readonly ca: string };
  handle(req: Http2ServerRequest, res: Http2ServerResponse): void;
}

/**
 * The cluster port shared by the services that use it (as Vault multiplexes its cluster port):
 * replication is the default tenant (its peers connect by IP address, without SNI); another
 * service (HA request forwarding) is named by the TLS server name its peers ask for. Each
 * connection is authenticated with its tenant's CA and reaches only that tenant's handler.
 * The port is bound while any tenant is attached.
 */
export class SharedClusterPort {
  private server: Http2SecureServer | undefined;
  private binding: Promise<void> | undefined;
  private defaultTenant: ClusterPortTenant | undefined;
  private readonly named = new Map<string, { tenant: ClusterPortTenant; context: SecureContext; ca: X509Certificate }>();

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  get isListening(): boolean {
    return this.server !== undefined;
  }

  /** Attaches `tenant` under `servername` (undefined: the default tenant); binds the port if needed. */
  async attach(servername: string | undefined, tenant: ClusterPortTenant): Promise<void> {
    if (servername === undefined) this.defaultTenant = tenant;
    else this.named.set(servername, { tenant, context: createSecureContext({ ...tenant.tls, minVersion: 'TLSv1.3' }), ca: new X509Certificate(tenant.tls.ca) });
    if (this.server !== undefined) {
      if (servername === undefined) this.server.setSecureContext({ ...tenant.tls });
      return;
    }
    try {
      await (this.binding ??= this.bind(tenant));
    } catch (err) {
      if (servername === undefined) this.defaultTenant = undefined;
      else this.named.delete(servername);
      throw err;
    } finally {
      this.binding = undefined;
    }
  }

  /**
   * Detaches a tenant; with none left the port stops listening at once, and open sessions close
   * once their requests are answered (not awaited: a request in flight may be the one detaching).
   */
  detach(servername: string | undefined): Promise<void> {
    if (servername === undefined) this.defaultTenant = undefined;
    else this.named.delete(servername);
    const server = this.server;
    if (this.defaultTenant !== undefined || this.named.size > 0 || server === undefined) return Promise.resolve();
    this.server = undefined;
    server.close();
    server.emit('ferry-close-sessions');
    return Promise.resolve();
  }

  private async bind(first: ClusterPortTenant): Promise<void> {
    const sessions = new Set<http2.ServerHttp2Session>();
    const server = http2.createSecureServer({
      ...(this.defaultTenant ?? first).tls,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
      // Without a matching name the default context answers (and its CA judges the client).
      SNICallback: (name, cb) => cb(null, this.named.get(name)?.context),
    });
    server.on('session', (session) => {
      sessions.add(session);
      session.on('error', () => undefined);
      session.on('close', () => sessions.delete(session));
    });
    server.on('ferry-close-sessions', () => {
      for (const s of sessions) s.close();
    });
    server.on('request', (req, res) => {
      const socket = req.stream.session?.socket as TLSSocket | undefined;
      const name = socket?.servername;
      const named = typeof name === 'string' ? this.named.get(name) : undefined;
      // A named tenant serves only peers its own CA issued (whatever context the handshake used).
      if (named !== undefined && !isIssuedBy(socket, named.ca)) {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: ['client certificate not issued by this service'] }));
        return;
      }
      const tenant = named?.tenant ?? this.defaultTenant;
      if (tenant === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: ['no such service on the cluster port'] }));
        return;
      }
      tenant.handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }
}

function isIssuedBy(socket: TLSSocket | undefined, ca: X509Certificate): boolean {
  const peer = socket?.getPeerX509Certificate();
  return peer !== undefined && peer.checkIssued(ca) && peer.verify(ca.publicKey);
}
