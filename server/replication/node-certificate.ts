import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { ClusterCa } from './cluster-ca.js';
import type { PrimaryState } from './replication-state.js';

/**
 * HA: the stored server certificate names the host of the node that enabled replication; another
 * node of the cluster that becomes active serves one issued for its own host by the same CA (kept
 * in memory only), so secondaries that trust the CA accept it by name as well.
 */
export async function withNodeCertificate(state: PrimaryState, host: string): Promise<PrimaryState> {
  const stored = new X509Certificate(state.server.certPem);
  const isNamed = isIP(host) === 0 ? stored.checkHost(host) !== undefined : stored.checkIP(host) !== undefined;
  if (isNamed) return state;
  const server = await ClusterCa.fromPem(state.ca).issueServer([...new Set([host, '127.0.0.1', 'localhost'])]);
  return { ...state, server: { certPem: server.certPem, keyPem: server.keyPem } };
}
