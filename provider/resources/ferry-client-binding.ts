import type { FerryClient } from '../client/ferry-client.js';
import { clientDataSource, clientResource, type ClientBinding, type ClientDataSource, type ClientResource } from '../framework/client-resource.js';
import type { DataSource, Resource } from '../framework/resource.js';
import { reportApiError } from './api-diagnostics.js';
import type { FerryProviderData } from './provider-data.js';

/** A Ferry resource: its operations receive the client of the cluster they target. */
export type FerryResource = ClientResource<FerryClient, FerryProviderData>;
export type FerryDataSource = ClientDataSource<FerryClient>;

/**
 * Ferry's client for an operation: the target cluster's (provider-data.ts), or the reason there is none
 * yet; a failed call is reported with what the server (or the network) said (api-diagnostics.ts).
 */
export const ferryClientBinding: ClientBinding<FerryProviderData, FerryClient> = {
  clientFor: (provider) => (provider.client === undefined ? { unavailableReason: provider.unavailableReason } : { client: provider.client }),
  reportFailure: reportApiError,
};

export function ferryResource(resource: FerryResource): Resource<FerryProviderData> {
  return clientResource(resource, ferryClientBinding);
}

export function ferryDataSource(dataSource: FerryDataSource): DataSource<FerryProviderData> {
  return clientDataSource(dataSource, ferryClientBinding);
}
