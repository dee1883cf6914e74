import type { Logger } from 'pino';
import { KEYRING_PATH } from '../core/barrier.js';
import type { Core } from '../core/core.js';
import { handoverKey, NodeHandoverKey, type HandoverKeyAdvert } from './keyring-handover.js';

/** What a standby says (seal-status warnings, log) when it could not follow a new keyring. */
export const KEYRING_LOST_REASON =
  'the keyring in storage was replaced (this cluster was activated as a replication secondary, or rekeyed) and this node could not follow it: ' +
  'it was not handed the new keyring by the active node; unseal it with the cluster’s current unseal keys';

/**
 * Keeps an unsealed standby on the keyring its cluster's storage holds. The standby runs no
 * services, but it must be able to take over at any moment; so it watches the stored keyring, and
 * when it changes: a rotation or rekey is followed with the keys it holds (the root key stored under
 * the keyring by a rekey); a new root key (secondary activation) is taken from the handover the
 * active sealed to this node's own key. A node that cannot follow seals itself, with the reason:
 * it never decrypts with a keyring that is not the cluster's, and never serves from it.
 */
export class KeyringFollower {
  private nodeKey: NodeHandoverKey | undefined;
  private lastSeen: Buffer | undefined;

  constructor(
    private readonly core: Core,
    private readonly nodeId: string,
    private readonly log: Logger,
  ) {}

  /** The node unsealed (as a standby or the active): the keyring it opened is the one to follow from. */
  async start(): Promise<void> {
    this.nodeKey ??= new NodeHandoverKey();
    this.lastSeen = await this.core.physical.get(KEYRING_PATH);
  }

  /** Sealed: forget the node key (a handover sealed to it can never be opened again). */
  stop(): void {
    this.nodeKey = undefined;
    this.lastSeen = undefined;
  }

  /** This node's handover key for its heartbeat, with proof that it holds the current root key. */
  advert(): HandoverKeyAdvert | undefined {
    if (this.nodeKey === undefined || this.core.seal.isSealed) return undefined;
    return this.nodeKey.advert(this.nodeId, this.core.seal.currentRootKey());
  }

  /**
   * Brings this node onto the stored keyring. True when it holds it (nothing changed, or the change
   * was followed); false when it could not and sealed itself.
   */
  async follow(): Promise<boolean> {
    if (this.core.seal.isSealed) return false;
    const stored = await this.core.physical.get(KEYRING_PATH);
    if (stored === undefined || (this.lastSeen !== undefined && stored.equals(this.lastSeen))) return true;
    if ((await this.followWithOwnKeys()) || (await this.followHandover())) {
      this.lastSeen = stored;
      return true;
    }
    this.log.error({ reason: KEYRING_LOST_REASON }, `sealing: ${KEYRING_LOST_REASON}`);
    await this.core.sealWithReason(KEYRING_LOST_REASON);
    return false;
  }

  /** A rotation (same root key) or a rekey (the new root key stored under the keyring this node has). */
  private async followWithOwnKeys(): Promise<boolean> {
    try {
      if (!(await this.core.seal.followRekey())) await this.core.barrier.reloadKeyring(this.core.seal.currentRootKey());
      this.log.info('followed a change of the keyring');
      return true;
    } catch {
      return false;
    }
  }

  /** A new root key, sealed to this node's key by the active (which proved it held the old one). */
  private async followHandover(): Promise<boolean> {
    if (this.nodeKey === undefined) return false;
    const sealed = await this.core.physical.get(handoverKey(this.nodeId));
    if (sealed === undefined) return false;
    const rootKey = this.nodeKey.open(this.nodeId, this.core.seal.currentRootKey(), sealed);
    if (rootKey === undefined) return false;
    try {
      await this.core.seal.unsealWithRootKey(rootKey);
    } catch {
      return false;
    } finally {
      rootKey.fill(0);
    }
    this.log.info('followed the keyring handed over by the active node');
    return true;
  }
}
