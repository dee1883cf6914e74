import type { Logger } from 'pino';
import { ClusterClient } from './cluster-client.js';
import { PrimaryAddressRotation } from './primary-address-rotation.js';
import type { SecondaryState } from './replication-state.js';

/** A running notification; `stop` ends its retries. */
export interface FenceNotifier {
  stop(): void;
}

/**
 * Tells the previous primary (over the channel it issued us credentials for) that a newer
 * epoch exists, retrying until it answers, so a primary that was down during the promotion
 * steps down as soon as it is back. The retries go round every known node of an HA primary.
 */
export function notifyOldPrimary(old: SecondaryState, epoch: number, log: Logger): FenceNotifier {
  let stopped = false;
  // An HA primary: whichever of its nodes is active (or becomes active) must hear of it.
  const rotation = new PrimaryAddressRotation(old.primaryClusterAddr, old.knownPrimaryClusterAddrs);
  const client = new ClusterClient(rotation.current, { caCertPem: old.caCertPem, client: old.client }, () => ({ 'x-ferry-epoch': String(epoch) }));
  void (async () => {
    let delayMs = 200;
    while (!stopped) {
      try {
        const res = await client.request('POST', '/v1/replication/fence', {}, 5000);
        if (res.status === 409 || res.status === 200 || res.status === 403) {
          log.info({ status: res.status }, 'previous primary told of the new epoch');
          break;
        }
      } catch {
        /* unreachable for now: try again */
      }
      // The next node of the old primary cluster next; the delay grows once all were tried.
      const wrapped = rotation.advance();
      client.retarget(rotation.current);
      await new Promise((r) => setTimeout(r, delayMs));
      if (wrapped) delayMs = Math.min(5000, delayMs * 2);
    }
    client.close();
  })();
  return {
    stop: () => {
      stopped = true;
      client.close();
    },
  };
}
