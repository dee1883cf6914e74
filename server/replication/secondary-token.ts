import type { Core } from '../core/core.js';
import { parseDurationSeconds } from '../core/duration.js';
import { invalidRequest } from '../core/vault-error.js';
import type { WrapInfo } from '../core/logical.js';
import { wrapResponse } from '../core/wrapping/response-wrapper.js';
import type { ActivationBundle } from './activation-bundle.js';
import { ClusterCa } from './cluster-ca.js';
import type { PrimaryState, ReplicationKind } from './replication-state.js';

export interface SecondaryTokenRequest {
  readonly id: string;
  /** A Vault duration; empty means 30 minutes. */
  readonly ttl: string;
  /** This cluster's API and cluster addresses (the bundle names them when the state does not). */
  readonly apiAddr: string;
  readonly clusterAddr: string;
  /** The replication type of the secondary (default performance). */
  readonly kind?: ReplicationKind;
}

/**
 * Issues a secondary's activation: a client certificate from the cluster CA, wrapped with the
 * rest of the activation bundle in a JWT wrapping token. Returns the token and the primary state
 * that records the new secondary; storing it is the caller's commit.
 */
export async function issueSecondaryToken(core: Core, state: PrimaryState, request: SecondaryTokenRequest): Promise<{ next: PrimaryState; result: WrapInfo }> {
  const { id, ttl } = request;
  const kind = request.kind ?? 'performance';
  if (id.trim() === '') throw invalidRequest('missing required field "id"');
  if (!/^[A-Za-z0-9_.\-]{1,128}$/.test(id)) throw invalidRequest('invalid secondary id: use letters, digits, ".", "_" or "-"');
  if (state.secondaries[id] !== undefined) throw invalidRequest(`a secondary with id "${id}" already exists; revoke it first or choose another id`);
  const ttlSeconds = parseDurationSeconds(ttl === '' ? '30m' : ttl, 'ttl');
  if (ttlSeconds <= 0) throw invalidRequest('ttl must be positive');
  const client = await ClusterCa.fromPem(state.ca).issueClient(id);
  const bundle: ActivationBundle = {
    id,
    cluster_id: state.clusterId,
    primary_cluster_addr: state.primaryClusterAddr || request.clusterAddr,
    primary_api_addr: request.apiAddr,
    ca_cert: state.ca.certPem,
    client_cert: client.certPem,
    client_key: client.keyPem,
    epoch: state.epoch,
    ...(kind === 'dr' ? { kind } : {}),
  };
  const wrapInfo = await wrapResponse(
    core,
    { data: { ...bundle } },
    {
      ttlSeconds,
      creationPath: kind === 'dr' ? 'sys/replication/dr/primary/secondary-token' : 'sys/replication/primary/secondary-token',
      format: 'jwt',
      claims: { replication_type: kind },
    },
  );
  const now = Date.now();
  const next: PrimaryState = {
    ...state,
    secondaries: {
      ...state.secondaries,
      [id]: {
        id,
        certSerial: client.serial,
        issuedAt: new Date(now).toISOString(),
        tokenExpiresAt: new Date(now + ttlSeconds * 1000).toISOString(),
        ...(kind === 'dr' ? { kind } : {}),
      },
    },
  };
  return { next, result: wrapInfo };
}
