import type { ClientCache } from '../client/client-cache.js';
import type { FerryClient, UserpassLogin } from '../client/ferry-client.js';

/** The provider block's credentials, which a `cluster` block without credentials of its own falls back to. */
export interface ProviderCredentials {
  token: string | undefined;
  userpass: UserpassLogin | undefined;
}

/**
 * What ConfigureProvider hands every resource: a client for the cluster the operation targets, or why there
 * is none yet. Resources with a `cluster` block receive a copy aimed at that cluster (see cluster-block.ts).
 */
export interface FerryProviderData {
  client: FerryClient | undefined;
  /** Why `client` is missing (for example an address that is only known after apply). */
  unavailableReason: string;
  /** The target cluster's address when known, even without a client (plan-time warnings name it). */
  address: string | undefined;
  /** Clients by cluster and credentials, shared by every resource of this provider process. */
  clients: ClientCache;
  /** The provider block's credentials; undefined while its configuration is not wholly known. */
  credentials: ProviderCredentials | undefined;
  requestTimeoutMs: number;
}
