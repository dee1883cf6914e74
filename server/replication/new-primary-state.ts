import { parseClusterAddress } from './cluster-address.js';
import { ClusterCa } from './cluster-ca.js';
import type { PrimaryState, ReplicationKind } from './replication-state.js';

export interface PrimaryIdentity {
  readonly clusterId: string;
  readonly epoch: number;
  readonly primaryClusterAddr: string;
  readonly kinds?: readonly ReplicationKind[];
}

/**
 * A primary role with fresh TLS material: a new cluster CA, and a server certificate for the
 * advertised cluster address (else `clusterAddr`, this cluster's own) and loopback. No secondaries.
 */
export async function newPrimaryState(identity: PrimaryIdentity, clusterAddr: string): Promise<PrimaryState> {
  const ca = await ClusterCa.create(identity.clusterId);
  const { host } = parseClusterAddress(identity.primaryClusterAddr || clusterAddr);
  const server = await ClusterCa.fromPem(ca.ca).issueServer([...new Set([host, '127.0.0.1', 'localhost'])]);
  return { role: 'primary', ...identity, ca: ca.ca, server: { certPem: server.certPem, keyPem: server.keyPem }, secondaries: {} };
}
