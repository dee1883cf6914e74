import { createHash } from 'node:crypto';
import { FerryClient, type ClientSettings } from './ferry-client.js';

/**
 * One FerryClient per distinct cluster and credentials (address, token, TLS trust, userpass login) for the
 * life of the provider process, so resources aimed at the same cluster share a userpass login instead of
 * logging in once per resource. Keys are digests: the cache keeps no second copy of a token.
 */
export class ClientCache {
  private readonly clients = new Map<string, FerryClient>();

  clientFor(settings: ClientSettings): FerryClient {
    const key = createHash('sha256')
      .update(
        JSON.stringify([
          settings.address.replace(/\/+$/, ''),
          settings.token ?? null,
          settings.caCertPem ?? null,
          settings.skipTlsVerify,
          settings.userpass === undefined ? null : [settings.userpass.mount, settings.userpass.username, settings.userpass.password],
          settings.requestTimeoutMs,
        ]),
      )
      .digest('hex');
    let client = this.clients.get(key);
    if (client === undefined) {
      client = new FerryClient(settings);
      this.clients.set(key, client);
    }
    return client;
  }

  get size(): number {
    return this.clients.size;
  }
}
