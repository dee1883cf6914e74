import type { Logger } from 'pino';
import type { Core } from '../core/core.js';
import { invalidRequest } from '../core/vault-error.js';
import { parseClusterAddress, showClusterAddress } from './cluster-address.js';
import { ClusterServer, type SecondaryAcks } from './cluster-server.js';
import { withNodeCertificate } from './node-certificate.js';
import { PrimaryClusterAddrs } from './primary-cluster-addrs.js';
import type { SharedClusterPort } from './cluster-port.js';
import type { PrimaryState } from './replication-state.js';
import type { WalStorage } from './wal-storage.js';

export interface ClusterListenerOptions {
  readonly core: Core;
  readonly wal: WalStorage;
  readonly logger: Logger;
  readonly clusterAddr: string;
  readonly devRootToken?: string;
  /** Synchronous DR: where secondaries' acknowledgements go. */
  readonly acks?: SecondaryAcks;
  /** The cluster port shared with HA request forwarding, when HA is enabled. */
  readonly sharedPort?: SharedClusterPort;
}

/** What the role state machine tells a listener it binds for a primary role. */
export interface ListenerHooks {
  /** The committed primary state, or undefined while the role is not stored yet (peers are refused). */
  readonly current: () => PrimaryState | undefined;
  /** A peer presented a newer replication epoch: this primary has been superseded. */
  readonly onNewerEpoch: (epoch: number) => void;
}

/**
 * Binds the cluster listener with `state`'s TLS material. A port in use or an address that
 * cannot be bound is the caller's mistake (a 400 naming the address), never a half-done role.
 */
export async function bindClusterListener(options: ClusterListenerOptions, state: PrimaryState, hooks: ListenerHooks): Promise<ClusterServer> {
  const { host, port } = parseClusterAddress(options.clusterAddr);
  const addrs = new PrimaryClusterAddrs(() => options.core.ha, options.clusterAddr);
  const server = new ClusterServer({
    core: options.core,
    wal: options.wal,
    logger: options.logger,
    state: hooks.current,
    onNewerEpoch: hooks.onNewerEpoch,
    clusterAddrs: () => addrs.current(),
    ...(options.devRootToken === undefined ? {} : { devRootToken: options.devRootToken }),
    ...(options.acks === undefined ? {} : { acks: options.acks }),
    ...(options.sharedPort === undefined ? {} : { sharedPort: options.sharedPort }),
  });
  const shown = showClusterAddress(host, port);
  try {
    await server.start(host, port, await withNodeCertificate(state, host));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw invalidRequest(`cluster address ${shown} is already in use`);
    if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw invalidRequest(`cannot listen on cluster address ${shown}: ${code}`);
    throw err;
  }
  options.logger.child({ module: 'replication' }).info({ cluster_addr: options.clusterAddr }, 'replication cluster listener started');
  return server;
}
