import type { HaView } from '../core/ha-view.js';

/** How long the active's view of its nodes is reused before it is read again from the HA layer. */
const REFRESH_MS = 2000;

/**
 * What a primary's active node tells its secondaries about the nodes of its cluster: every live
 * node's cluster address, the active's first (Vault's `known_primary_cluster_addrs` on the
 * secondary). Without HA it tells nothing: a single node's secondaries keep the address they were
 * given (possibly a load balancer or proxy in front of it).
 *
 * `current()` is synchronous, for the stream's heartbeats: it answers the last view it read and,
 * when that is older than the refresh interval, reads the HA layer again in the background.
 */
export class PrimaryClusterAddrs {
  private addrs: readonly string[] = [];
  private readAt = 0;
  private isReading = false;

  constructor(
    private readonly ha: () => HaView,
    private readonly ownClusterAddr: string,
  ) {}

  current(): readonly string[] {
    const ha = this.ha();
    if (!ha.isEnabled) return [];
    if (Date.now() - this.readAt >= REFRESH_MS && !this.isReading) void this.refresh(ha);
    return this.addrs.length > 0 ? this.addrs : [this.ownClusterAddr];
  }

  /** Reads the HA layer's live nodes now (also what `current` does in the background). */
  async refresh(ha: HaView = this.ha()): Promise<readonly string[]> {
    this.isReading = true;
    try {
      const nodes = await ha.nodes();
      const others = nodes.filter((n) => !n.isActive && n.clusterAddress !== '' && n.clusterAddress !== this.ownClusterAddr).map((n) => n.clusterAddress);
      this.addrs = [this.ownClusterAddr, ...new Set(others.sort())];
    } catch {
      // The database is unreachable for now: keep the last view (at worst, just this node).
    } finally {
      this.readAt = Date.now();
      this.isReading = false;
    }
    return this.addrs;
  }
}
