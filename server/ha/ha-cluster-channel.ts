import { randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import https from 'node:https';
import type { Logger } from 'pino';
import type { Core } from '../core/core.js';
import { layout } from '../core/storage-layout.js';
import { secretsEqual } from '../core/token-id.js';
import { BodyTooLargeError, MAX_API_ANSWER_BYTES, readBoundedBody } from '../replication/bounded-body.js';
import { ClusterCa, type PemKeyPair } from '../replication/cluster-ca.js';
import type { ClusterCredentials } from '../replication/cluster-client.js';
import type { SharedClusterPort } from '../replication/cluster-port.js';

/** The TLS server name standbys ask for on the cluster port: it selects the HA forwarding service. */
export const HA_SERVER_NAME = 'ferry-ha-forwarding';
/** The client's address, as the standby that forwarded the request saw it. */
export const FORWARDED_FOR_HEADER = 'x-ferry-forwarded-for';
/** This process's own key, proving a request replayed to its API came from its forwarding service. */
export const LOCAL_FORWARDING_KEY_HEADER = 'x-ferry-forwarding-key';
/** Marks the answer of a node that is no longer active: nothing was done, the standby asks the lock again. */
export const NOT_ACTIVE_HEADER = 'x-ferry-ha-not-active';
/** The cluster's HA certificate authority (per cluster, never replicated; sealed by the barrier). */
const HA_CA_PATH = `${layout.clusterSecrets}ha-ca`;
/** The most a forwarded request may carry (the API's own limit). */
const MAX_FORWARDED_BYTES = 32 * 1024 * 1024;
/** Headers that describe one connection, not the request, and the ones only Ferry may set. */
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'te',
  'trailer',
  'proxy-connection',
  'http2-settings',
  FORWARDED_FOR_HEADER,
  LOCAL_FORWARDING_KEY_HEADER,
]);

/** The headers of a request worth sending on, HTTP/2 pseudo-headers and connection headers dropped. */
export function forwardableHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':') || NOT_FORWARDED.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * Request forwarding over the cluster port, as Vault does it: a per-cluster HA CA (made by the first
 * active node, stored in the barrier) issues each node its own certificate; the active serves
 * forwarded requests on the cluster port (HTTP/2, mutual TLS) and replays each to its own API with
 * the client's address; standbys connect with a client certificate of the same CA.
 */
export class HaClusterChannel {
  private ca: PemKeyPair | undefined;
  private client: ClusterCredentials | undefined;
  private isServing = false;
  private localApi: string | undefined;
  private readonly localKey = randomBytes(32);
  private readonly log: Logger;

  constructor(
    private readonly core: Core,
    private readonly nodeId: string,
    private readonly port: SharedClusterPort | undefined,
    logger: Logger,
    /** Drops the read cache before the CA is read (it may remember the CA as missing). */
    private readonly clearCache: () => void,
  ) {
    this.log = logger.child({ module: 'ha-forwarding' });
  }

  /** Where this process's API listens (for replaying forwarded requests), `http(s)://host:port`. */
  setLocalApi(url: string): void {
    this.localApi = url;
  }

  /** On the active node: make sure the CA exists, then serve forwarded requests on the cluster port. */
  async startServing(clusterId: string): Promise<void> {
    const ca = await this.ensureCa(clusterId);
    if (this.port === undefined || this.isServing) return;
    const server = await ClusterCa.fromPem(ca).issueServer([HA_SERVER_NAME]);
    await this.port.attach(HA_SERVER_NAME, {
      tls: { key: server.keyPem, cert: server.certPem, ca: ca.certPem },
      handle: (req, res) => void this.serve(req, res),
    });
    this.isServing = true;
  }

  async stopServing(): Promise<void> {
    if (!this.isServing) return;
    this.isServing = false;
    await this.port?.detach(HA_SERVER_NAME);
  }

  /** Sealed: the CA and this node's certificate are forgotten with the keys. */
  forget(): void {
    this.ca = undefined;
    this.client = undefined;
  }

  /** After storage was wiped under the active (secondary activation): the CA standbys already trust stays. */
  async restoreAfterWipe(): Promise<void> {
    if (this.ca !== undefined) await this.core.barrier.put(HA_CA_PATH, Buffer.from(JSON.stringify(this.ca)));
  }

  /** On a standby: the CA and this node's client certificate (undefined until an active made the CA). */
  async clientCredentials(): Promise<ClusterCredentials | undefined> {
    if (this.client !== undefined) return this.client;
    const ca = this.ca ?? (await this.loadCa());
    if (ca === undefined) return undefined;
    const cert = await ClusterCa.fromPem(ca).issueClient(`ferry-ha-node-${this.nodeId}`);
    this.ca = ca;
    this.client = { caCertPem: ca.certPem, client: { certPem: cert.certPem, keyPem: cert.keyPem } };
    return this.client;
  }

  /** Whether `presented` is this process's own forwarding key (constant time). */
  isLocalForwardingKey(presented: string): boolean {
    return secretsEqual(Buffer.from(presented, 'base64'), this.localKey);
  }

  private async loadCa(): Promise<PemKeyPair | undefined> {
    this.clearCache();
    const raw = await this.core.barrier.get(HA_CA_PATH);
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as PemKeyPair);
  }

  private async ensureCa(clusterId: string): Promise<PemKeyPair> {
    const existing = await this.loadCa();
    if (existing !== undefined) return (this.ca = existing);
    const created = (await ClusterCa.create(`ha-${clusterId}`)).ca;
    await this.core.barrier.put(HA_CA_PATH, Buffer.from(JSON.stringify(created)));
    this.log.info('created the cluster’s HA certificate authority');
    return (this.ca = created);
  }

  /** One forwarded request: replayed to this node's own API, the answer relayed. */
  private async serve(req: Http2ServerRequest, res: Http2ServerResponse): Promise<void> {
    try {
      if (!this.isServing || this.localApi === undefined) {
        res.writeHead(503, { 'content-type': 'application/json', [NOT_ACTIVE_HEADER]: 'true' });
        res.end(JSON.stringify({ errors: ['this node is not the active node'] }));
        return;
      }
      const body = await readBoundedBody(req, MAX_FORWARDED_BYTES);
      const forwardedFor = req.headers[FORWARDED_FOR_HEADER];
      const headers: OutgoingHttpHeaders = {
        ...forwardableHeaders(req.headers),
        [LOCAL_FORWARDING_KEY_HEADER]: this.localKey.toString('base64'),
        ...(typeof forwardedFor === 'string' ? { [FORWARDED_FOR_HEADER]: forwardedFor } : {}),
        ...(body.length > 0 ? { 'content-length': String(body.length) } : {}),
      };
      const answer = await replay(new URL(req.url, this.localApi), req.method, headers, body);
      const out: Record<string, string> = {};
      for (const name of ['content-type', 'location', 'retry-after', 'x-vault-index']) {
        const value = answer.headers[name];
        if (typeof value === 'string') out[name] = value;
      }
      res.writeHead(answer.status, out);
      res.end(answer.body);
    } catch (err) {
      const tooLarge = err instanceof BodyTooLargeError;
      if (!tooLarge) this.log.warn({ error: err instanceof Error ? err.message : String(err) }, 'serving a forwarded request failed');
      if (!res.headersSent) res.writeHead(tooLarge ? 413 : 502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [tooLarge ? 'http: request body too large' : 'error serving the forwarded request'] }));
    }
  }
}

/** Sends one request to this process's own API listener (loopback; its certificate is its own). */
function replay(url: URL, method: string, headers: OutgoingHttpHeaders, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? https.request : http.request;
    const request = send(url, { method, headers, ...(url.protocol === 'https:' ? { rejectUnauthorized: false } : {}) }, (response) => {
      readBoundedBody(response, MAX_API_ANSWER_BYTES).then(
        (answer) => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: answer }),
        reject,
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}
