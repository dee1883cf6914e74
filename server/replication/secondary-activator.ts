import type { Logger } from 'pino';
import { encryptWithStoredKeyring, KEYRING_PATH } from '../core/barrier.js';
import type { Core } from '../core/core.js';
import { VaultError } from '../core/vault-error.js';
import type { StagingArea, StorageEntry } from '../storage/backend.js';
import type { ActivationBundle, BootstrapHeader } from './activation-bundle.js';
import { unwrapActivationToken, type TrustOptions } from './activation-client.js';
import { activationApiAddr } from './activation-token.js';
import { ClusterClient } from './cluster-client.js';
import { DR_KEYSET, performanceKeyset } from './keyset.js';
import { STATE_KEY, type ReplicationKind, type SecondaryState } from './replication-state.js';
import type { WalStorage } from './wal-storage.js';

/**
 * What activating a secondary needs from outside the role state machine: checking and unwrapping
 * the activation token, and installing the primary's bootstrap package as this cluster's storage.
 */
export interface Activator {
  /** Checks the token locally (no network) and returns the primary API address to use. */
  check(token: string, primaryApiAddr: string, kind?: ReplicationKind): string;
  /** Unwraps the token at the primary's API; changes nothing here. */
  unwrap(apiAddr: string, token: string, trust: TrustOptions): Promise<ActivationBundle>;
  /**
   * Downloads the bootstrap package into a staging area of storage (a page at a time, never whole
   * in memory), then swaps it in for this cluster's state together with the secondary role in one
   * transaction, and unseals with the primary's root key. `settle` is
   * called once the commit succeeded or was undone, just before the core unseals again. Answers
   * warnings for the response (the pre-wipe snapshot's file).
   */
  install(bundle: ActivationBundle, apiAddr: string, settle: () => void, options?: InstallOptions): Promise<readonly string[]>;
}

export interface InstallOptions {
  /** false: no pre-wipe snapshot for this activation even when a folder is configured. */
  readonly preWipeSnapshot?: boolean;
}

/** The primary's bootstrap package, its entries staged in storage (not yet live). */
interface StagedBootstrap {
  readonly header: BootstrapHeader;
  /** The primary's keyring as stored (encrypted with its root key). */
  readonly keyring: Buffer;
  readonly staging: StagingArea;
}

/** Staged entries are written in pages of this many entries or bytes, whichever comes first. */
const STAGING_PAGE_ENTRIES = 2000;
const STAGING_PAGE_BYTES = 4 * 1024 * 1024;

export interface SecondaryActivatorOptions {
  readonly core: Core;
  readonly wal: WalStorage;
  readonly isDev: boolean;
  readonly logger: Logger;
  /** Saves a snapshot of this cluster before the wipe and answers its file (unset: no snapshot). */
  readonly preWipeSnapshot?: () => Promise<string>;
}

/** The activator of a running server: the primary's API over http(s), its cluster port over mTLS. */
export class SecondaryActivator implements Activator {
  constructor(private readonly options: SecondaryActivatorOptions) {}

  check(token: string, primaryApiAddr: string, kind: ReplicationKind = 'performance'): string {
    return activationApiAddr(token, primaryApiAddr, kind);
  }

  unwrap(apiAddr: string, token: string, trust: TrustOptions): Promise<ActivationBundle> {
    return unwrapActivationToken(apiAddr, token, trust);
  }

  async install(bundle: ActivationBundle, apiAddr: string, settle: () => void, options: InstallOptions = {}): Promise<readonly string[]> {
    const { header, keyring, staging } = await downloadBootstrap(bundle, await this.options.wal.beginStaging());
    try {
      const warnings = await this.beforeWipe(options);
      await this.swapIn(bundle, apiAddr, settle, header, keyring, staging);
      return warnings;
    } finally {
      // Whatever stopped short of the swap: the staged entries go (after an install, a no-op).
      await staging.discard();
    }
  }

  /** Before the point of no return: a snapshot that cannot be saved stops the activation. */
  private async beforeWipe(options: InstallOptions): Promise<string[]> {
    if (this.options.preWipeSnapshot === undefined || options.preWipeSnapshot === false) return [];
    const file = await this.options.preWipeSnapshot();
    this.options.logger.child({ module: 'replication' }).info({ file }, 'pre-wipe snapshot saved');
    return [
      `a snapshot of this cluster as it was before the wipe was saved to ${file}; to undo the activation: disable replication, restore it with force, unseal with the old unseal keys`,
    ];
  }

  private async swapIn(
    bundle: ActivationBundle,
    apiAddr: string,
    settle: () => void,
    header: BootstrapHeader,
    keyring: Buffer,
    staging: StagingArea,
  ): Promise<void> {
    const rootKey = Buffer.from(header.root_key, 'base64');
    const next: SecondaryState = {
      role: 'secondary',
      clusterId: bundle.cluster_id,
      epoch: header.epoch,
      secondaryId: bundle.id,
      ...(bundle.kind === 'dr' ? { kind: bundle.kind } : {}),
      primaryClusterAddr: bundle.primary_cluster_addr,
      primaryApiAddr: apiAddr,
      caCertPem: bundle.ca_cert,
      client: { certPem: bundle.client_cert, keyPem: bundle.client_key },
      lastRemoteWal: header.last_wal,
      ...(header.keyset_version === undefined ? {} : { keysetVersion: header.keyset_version }),
      ...(header.filtered_mounts === undefined || header.filtered_mounts.length === 0 ? {} : { filteredMounts: header.filtered_mounts }),
    };
    const stateValue = encryptWithStoredKeyring(keyring, rootKey, STATE_KEY, Buffer.from(JSON.stringify(next)));
    // Point of no return: the wipe, the primary's (staged) state and our new role commit together.
    const { core } = this.options;
    const previousRootKey = Buffer.from(core.seal.currentRootKey());
    // HA: the standbys get the new root key with it, each sealed to its own node key.
    const handover = await core.ha.beginKeyringChange(previousRootKey, rootKey);
    try {
      // HA: this node stays the active one through the swap (its writes must pass the lock's fence).
      await core.sealCore({ keepHaLock: true });
      try {
        await staging.install([{ op: 'put', key: STATE_KEY, value: stateValue }, ...handover]);
      } catch (err) {
        // The transaction did not commit: storage still holds this cluster as it was; unseal it again.
        settle();
        await core.seal.unsealWithRootKey(previousRootKey);
        await core.postUnseal();
        throw err;
      } finally {
        previousRootKey.fill(0);
      }
      await core.seal.unsealWithRootKey(rootKey);
      settle();
      await core.postUnseal();
    } finally {
      await core.ha.endKeyringChange();
    }
    // A DR secondary received the primary's tokens, its dev root token among them.
    if (this.options.isDev && header.dev_root_token !== undefined && (await core.tokens.lookupById(header.dev_root_token)) === undefined) {
      await core.tokens.create({ id: header.dev_root_token, policies: ['root'], path: 'auth/token/root', displayName: 'root' });
    }
  }
}

/**
 * Fetches the primary's bootstrap package (its root key, then every replicated key) over the
 * cluster port into `staging`, a page at a time; on failure the staging area is discarded.
 */
async function downloadBootstrap(bundle: ActivationBundle, staging: StagingArea): Promise<StagedBootstrap> {
  const client = new ClusterClient(
    bundle.primary_cluster_addr,
    { caCertPem: bundle.ca_cert, client: { certPem: bundle.client_cert, keyPem: bundle.client_key } },
    () => ({ 'x-ferry-epoch': String(bundle.epoch) }),
  );
  let header: BootstrapHeader | undefined;
  let keyring: Buffer | undefined;
  let page: StorageEntry[] = [];
  let pageBytes = 0;
  const flush = async (): Promise<void> => {
    const full = page;
    page = [];
    pageBytes = 0;
    await staging.add(full);
  };
  // A DR secondary keeps everything the primary sends but bookkeeping (tokens and leases too).
  const keyset = bundle.kind === 'dr' ? DR_KEYSET : performanceKeyset();
  try {
    let status = 0;
    const transfer = client.stream(
      '/v1/replication/bootstrap',
      (s) => (status = s),
      async (lines) => {
        for (const line of lines) {
          if (header === undefined) {
            header = JSON.parse(line) as BootstrapHeader;
            continue;
          }
          const [key, value] = JSON.parse(line) as [string, string];
          if (!keyset.includes(key)) continue;
          const entry = { key, value: Buffer.from(value, 'base64') };
          if (key === KEYRING_PATH) keyring = entry.value;
          page.push(entry);
          pageBytes += key.length + entry.value.length;
          if (page.length >= STAGING_PAGE_ENTRIES || pageBytes >= STAGING_PAGE_BYTES) await flush();
        }
      },
    );
    await transfer.done;
    if (status !== 200 || header === undefined)
      throw new VaultError('invalid_request', `error fetching secondary bootstrap package from ${bundle.primary_cluster_addr}: status ${status}`);
    await flush();
    if (keyring === undefined) throw new VaultError('invalid_request', 'bootstrap package has no keyring');
  } catch (err) {
    await staging.discard().catch(() => undefined);
    if (err instanceof VaultError) throw err;
    throw new VaultError('invalid_request', `error fetching secondary bootstrap package from ${bundle.primary_cluster_addr}: ${(err as Error).message}`);
  } finally {
    client.close();
  }
  return { header, keyring, staging };
}
