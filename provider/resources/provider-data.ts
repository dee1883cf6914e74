import type { FerryClient } from '../client/ferry-client.js';
import type { Diagnostics } from '../framework/diagnostics.js';

/** What ConfigureProvider hands every resource: a client, or why there is none yet. */
export interface FerryProviderData {
  client: FerryClient | undefined;
  /** Why `client` is missing (for example an address that is only known after apply). */
  unavailableReason: string;
}

export function requireClient(provider: FerryProviderData, diagnostics: Diagnostics, summary: string): FerryClient | undefined {
  if (provider.client === undefined) diagnostics.error(summary, provider.unavailableReason);
  return provider.client;
}
