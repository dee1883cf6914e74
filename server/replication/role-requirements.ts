import { invalidRequest } from '../core/vault-error.js';
import type { ActivationBundle } from './activation-bundle.js';
import { kindOf, kindsOf, type PrimaryState, type ReplicationKind, type ReplicationState, type SecondaryState } from './replication-state.js';

export const kindName = (kind: ReplicationKind): string => (kind === 'dr' ? 'DR' : 'performance');
/** Messages name DR replication; performance keeps the messages it always had. */
export const drPrefix = (kind: ReplicationKind): string => (kind === 'dr' ? 'DR ' : '');

/** The state as a primary (of `kind`, when given), or a 400 saying this cluster is not one. */
export function requirePrimary(state: ReplicationState, kind?: ReplicationKind): PrimaryState {
  if (state.role !== 'primary' || (kind !== undefined && !kindsOf(state).includes(kind)))
    throw invalidRequest(`this cluster is not a ${kind === undefined ? '' : drPrefix(kind)}replication primary`);
  return state;
}

/** The state as a secondary of `kind`, or a 400 saying this cluster is not one. */
export function requireSecondary(state: ReplicationState, kind: ReplicationKind = 'performance'): SecondaryState {
  if (state.role !== 'secondary' || kindOf(state) !== kind) throw invalidRequest(`this cluster is not a ${drPrefix(kind)}replication secondary`);
  return state;
}

/** A performance token given to a DR call (or the reverse) is a 400 before anything changes. */
export function requireBundleKind(bundle: ActivationBundle, kind: ReplicationKind): void {
  if ((bundle.kind ?? 'performance') !== kind) throw invalidRequest(`the activation token is not a ${kindName(kind)} secondary token`);
}

/**
 * The state of a secondary that follows another primary of its replication set (update-primary):
 * same cluster id, an epoch no older than its own; its position is kept and a Merkle sync
 * reconciles, since WAL indexes of different primaries do not line up.
 */
export function rejoinedSecondary(current: SecondaryState, bundle: ActivationBundle, apiAddr: string, kind: ReplicationKind): SecondaryState {
  requireBundleKind(bundle, kind);
  if (bundle.cluster_id !== current.clusterId) {
    throw invalidRequest('the token belongs to a different replication set (cluster id differs); use secondary/enable, which wipes this cluster');
  }
  if (bundle.epoch < current.epoch) throw invalidRequest(`the token comes from a primary of an older replication epoch (${bundle.epoch} < ${current.epoch})`);
  return {
    role: 'secondary',
    clusterId: current.clusterId,
    epoch: bundle.epoch,
    secondaryId: bundle.id,
    ...(kind === 'dr' ? { kind } : {}),
    primaryClusterAddr: bundle.primary_cluster_addr,
    primaryApiAddr: apiAddr,
    caCertPem: bundle.ca_cert,
    client: { certPem: bundle.client_cert, keyPem: bundle.client_key },
    lastRemoteWal: current.lastRemoteWal,
    needsResync: true,
  };
}
