import { createHash } from 'node:crypto';
import { layout, LOCAL_PREFIX } from '../core/storage-layout.js';

/**
 * Which keys travel to which secondary.
 * - `bookkeeping` never travels: the WAL, replication state, this cluster's identity and HA data.
 * - `cluster-local` travels only to a DR secondary: tokens, leases, cubbyhole, wrapping tokens,
 *   local mounts, auth methods and audit devices with their data.
 * - `replicated` travels to every secondary: mount/auth/audit tables, policies, the keyring and seal
 *   config, identity, and the data of replicated mounts (each mount its own region, so a paths
 *   filter can leave it out).
 */
export type KeyClass = 'bookkeeping' | 'cluster-local' | 'replicated';

/** The region of every cluster-local key. */
export const CLUSTER_LOCAL_REGION = LOCAL_PREFIX;
/** The region of replicated keys outside any mount's data: tables, policies, keyring, identity. */
export const CORE_REGION = '';

/** Keys that describe this cluster itself (exact keys and prefixes); they never leave it. */
const BOOKKEEPING_PREFIXES: readonly string[] = [
  layout.replication,
  `${layout.clusterSecrets}info`,
  `${layout.clusterSecrets}ha-forwarding-key`,
  // HA: this cluster's own CA for forwarding between its nodes, and keyrings sealed to its standbys.
  `${layout.clusterSecrets}ha-ca`,
  `${layout.clusterSecrets}keyring-handover/`,
  // Written by an offline storage migration and by the PostgreSQL HA lock (Vault's names).
  'core/migration-progress',
  'core/lock',
  'core/node/',
];

/** Top-level prefixes under which each mount's data lives in its own `<prefix><uuid>/` region. */
const MOUNT_DATA_ROOTS: readonly string[] = [layout.mountData('', false).slice(0, -1), layout.authData('', false).slice(0, -1)];

/**
 * The class of every prefix in the storage layout. The type makes a new layout entry without a
 * class a compile error; `test/server/replication/keyset.test.ts` checks each against `classify`.
 */
export const LAYOUT_CLASSES: { readonly [K in keyof typeof layout]: KeyClass | { readonly replicated: KeyClass; readonly local: KeyClass } } = {
  sealConfig: 'replicated',
  keyring: 'replicated',
  indexHeaderKey: 'replicated',
  policies: 'replicated',
  tokenRoles: 'replicated',
  identity: 'replicated',
  mountTable: { replicated: 'replicated', local: 'cluster-local' },
  authTable: { replicated: 'replicated', local: 'cluster-local' },
  auditTable: { replicated: 'replicated', local: 'cluster-local' },
  mountData: { replicated: 'replicated', local: 'cluster-local' },
  authData: { replicated: 'replicated', local: 'cluster-local' },
  tokens: 'cluster-local',
  leases: 'cluster-local',
  cubbyhole: 'cluster-local',
  wrapping: 'cluster-local',
  // The token salt and built-in engines' data are cluster-local; the cluster's id and HA
  // forwarding key (listed above) are bookkeeping.
  clusterSecrets: 'cluster-local',
  replication: 'bookkeeping',
};

export interface KeyPlace {
  readonly keyClass: KeyClass;
  /** CLUSTER_LOCAL_REGION, CORE_REGION or a replicated mount's data prefix; '' for bookkeeping too. */
  readonly region: string;
}

const BOOKKEEPING: KeyPlace = { keyClass: 'bookkeeping', region: '' };
const CLUSTER_LOCAL: KeyPlace = { keyClass: 'cluster-local', region: CLUSTER_LOCAL_REGION };
const CORE: KeyPlace = { keyClass: 'replicated', region: CORE_REGION };

/** Where a storage key belongs: its class and, for replicated keys, its region. */
export function classify(key: string): KeyPlace {
  if (BOOKKEEPING_PREFIXES.some((p) => key.startsWith(p))) return BOOKKEEPING;
  if (key.startsWith(LOCAL_PREFIX)) return CLUSTER_LOCAL;
  const region = mountRegionOf(key);
  return region === undefined ? CORE : { keyClass: 'replicated', region };
}

/** `logical/<uuid>/` or `auth/<uuid>/` for a key under a replicated mount's data, else undefined. */
export function mountRegionOf(key: string): string | undefined {
  for (const root of MOUNT_DATA_ROOTS) {
    if (!key.startsWith(root)) continue;
    const end = key.indexOf('/', root.length);
    if (end > root.length) return key.slice(0, end + 1);
  }
  return undefined;
}

/** A paths filter in storage terms: the data prefixes of the listed mounts. */
export interface KeysetFilter {
  readonly mode: 'allow' | 'deny';
  /** Mount data prefixes (`logical/<uuid>/`, `auth/<uuid>/`) the mode applies to. */
  readonly prefixes: readonly string[];
}

/** The keys one secondary receives. */
export interface Keyset {
  /** `dr`, `performance`, or `performance:<digest of the filter>`. */
  readonly id: string;
  includes(key: string): boolean;
  /** Whether a delete of a whole prefix travels (it must not reach keys this keyset leaves home). */
  includesPrefix(prefix: string): boolean;
  /** Whether the keys of a region (see `classify`) belong to this keyset. */
  includesRegion(region: string): boolean;
}

const overlaps = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a);

/** Everything but bookkeeping: what a DR secondary receives (tokens and leases included). */
export const DR_KEYSET: Keyset = {
  id: 'dr',
  includes: (key) => classify(key).keyClass !== 'bookkeeping',
  includesPrefix: (prefix) => prefix !== '' && !BOOKKEEPING_PREFIXES.some((p) => overlaps(prefix, p)),
  includesRegion: () => true,
};

const UNFILTERED_PERFORMANCE: Keyset = {
  id: 'performance',
  includes: (key) => classify(key).keyClass === 'replicated',
  includesPrefix: (prefix) => prefix !== '' && !overlaps(prefix, LOCAL_PREFIX) && !BOOKKEEPING_PREFIXES.some((p) => overlaps(prefix, p)),
  includesRegion: (region) => region !== CLUSTER_LOCAL_REGION,
};

/**
 * What a performance secondary receives: replicated keys only, less the data of mounts its paths
 * filter leaves out (core replicated state — tables, policies, keyring — always travels).
 */
export function performanceKeyset(filter?: KeysetFilter): Keyset {
  if (filter === undefined) return UNFILTERED_PERFORMANCE;
  const listed = new Set(filter.prefixes);
  const regionIncluded = (region: string): boolean => {
    if (region === CLUSTER_LOCAL_REGION) return false;
    if (region === CORE_REGION) return true;
    return filter.mode === 'allow' ? listed.has(region) : !listed.has(region);
  };
  const digest = createHash('sha256')
    .update(JSON.stringify([filter.mode, [...listed].sort()]))
    .digest('hex')
    .slice(0, 16);
  return {
    id: `performance:${digest}`,
    includes: (key) => {
      const place = classify(key);
      return place.keyClass === 'replicated' && regionIncluded(place.region);
    },
    includesPrefix: (prefix) => {
      if (!UNFILTERED_PERFORMANCE.includesPrefix(prefix)) return false;
      const region = mountRegionOf(prefix);
      return region === undefined || regionIncluded(region);
    },
    includesRegion: regionIncluded,
  };
}
