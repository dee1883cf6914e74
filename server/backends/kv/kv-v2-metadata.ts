import { invalidRequest } from '../../core/vault-error.js';
import { formatGoDuration } from '../../core/duration.js';

/**
 * Version bookkeeping of KV version 2, as pure functions over one key's metadata. Storage and
 * HTTP shapes live in kv-v2-store.ts and kv-v2-paths.ts; this file decides what a write, delete,
 * undelete or destroy does to the versions map.
 */

/** Vault's default number of versions kept when neither the key nor the mount sets one. */
export const DEFAULT_MAX_VERSIONS = 10;

export interface KvV2VersionMetadata {
  created_time: string;
  /** RFC 3339; '' when not deleted. A time in the future is a scheduled delete (delete_version_after). */
  deletion_time: string;
  destroyed: boolean;
}

/** One key's metadata, as stored. */
export interface KvV2KeyMetadata {
  versions: Record<string, KvV2VersionMetadata>;
  current_version: number;
  oldest_version: number;
  /** 0 = use the mount's setting. */
  max_versions: number;
  cas_required: boolean;
  /** 0 = use the mount's setting. */
  delete_version_after_seconds: number;
  custom_metadata: Record<string, string> | null;
  created_time: string;
  updated_time: string;
}

/** The mount-wide settings (`config`). */
export interface KvV2Config {
  max_versions: number;
  cas_required: boolean;
  delete_version_after_seconds: number;
}

export const defaultConfig = (): KvV2Config => ({ max_versions: 0, cas_required: false, delete_version_after_seconds: 0 });

export type VersionState = 'live' | 'deleted' | 'destroyed';

export function newKeyMetadata(now: Date): KvV2KeyMetadata {
  const time = now.toISOString();
  return {
    versions: {},
    current_version: 0,
    oldest_version: 0,
    max_versions: 0,
    cas_required: false,
    delete_version_after_seconds: 0,
    custom_metadata: null,
    created_time: time,
    updated_time: time,
  };
}

export function versionState(version: KvV2VersionMetadata, now: Date): VersionState {
  if (version.destroyed) return 'destroyed';
  if (version.deletion_time !== '' && Date.parse(version.deletion_time) <= now.getTime()) return 'deleted';
  return 'live';
}

export function effectiveMaxVersions(meta: KvV2KeyMetadata, config: KvV2Config): number {
  if (meta.max_versions > 0) return meta.max_versions;
  if (config.max_versions > 0) return config.max_versions;
  return DEFAULT_MAX_VERSIONS;
}

/**
 * Check-and-set: with `cas` set, the write happens only when it equals the current version (0 =
 * only if the key has no version yet). When the key or the mount requires cas, it must be given.
 */
export function checkCas(meta: KvV2KeyMetadata | undefined, cas: number | undefined, config: KvV2Config): void {
  const required = config.cas_required || (meta?.cas_required ?? false);
  if (cas === undefined) {
    if (required) throw invalidRequest('check-and-set parameter required for this call');
    return;
  }
  if (cas !== (meta?.current_version ?? 0)) throw invalidRequest('check-and-set parameter did not match the current version');
}

/** Adds the next version and prunes past max_versions. Returns the version number and the versions whose data must go. */
export function recordNewVersion(meta: KvV2KeyMetadata, now: Date, config: KvV2Config): { version: number; pruned: number[] } {
  const version = meta.current_version + 1;
  const deleteAfter = meta.delete_version_after_seconds > 0 ? meta.delete_version_after_seconds : config.delete_version_after_seconds;
  meta.versions[String(version)] = {
    created_time: now.toISOString(),
    deletion_time: deleteAfter > 0 ? new Date(now.getTime() + deleteAfter * 1000).toISOString() : '',
    destroyed: false,
  };
  meta.current_version = version;
  if (meta.oldest_version === 0) meta.oldest_version = version;
  meta.updated_time = now.toISOString();
  return { version, pruned: pruneVersions(meta, config) };
}

/** Drops versions older than the newest `max_versions`; returns their numbers. */
export function pruneVersions(meta: KvV2KeyMetadata, config: KvV2Config): number[] {
  const keepFrom = meta.current_version - effectiveMaxVersions(meta, config) + 1;
  const pruned: number[] = [];
  for (const key of Object.keys(meta.versions)) {
    const n = Number(key);
    if (n < keepFrom) {
      delete meta.versions[key];
      pruned.push(n);
    }
  }
  if (keepFrom > meta.oldest_version) meta.oldest_version = keepFrom;
  return pruned.sort((a, b) => a - b);
}

/** Marks live versions deleted now (destroyed or already deleted ones are left alone). */
export function softDeleteVersions(meta: KvV2KeyMetadata, versions: readonly number[], now: Date): void {
  for (const n of versions) {
    const v = meta.versions[String(n)];
    if (v === undefined || versionState(v, now) !== 'live') continue;
    v.deletion_time = now.toISOString();
  }
  meta.updated_time = now.toISOString();
}

/** Clears the deletion time of versions that are not destroyed. */
export function undeleteVersions(meta: KvV2KeyMetadata, versions: readonly number[], now: Date): void {
  for (const n of versions) {
    const v = meta.versions[String(n)];
    if (v === undefined || v.destroyed) continue;
    v.deletion_time = '';
  }
  meta.updated_time = now.toISOString();
}

/** Marks versions destroyed; returns those whose data must be removed from storage. */
export function destroyVersions(meta: KvV2KeyMetadata, versions: readonly number[], now: Date): number[] {
  const out: number[] = [];
  for (const n of versions) {
    const v = meta.versions[String(n)];
    if (v === undefined || v.destroyed) continue;
    v.destroyed = true;
    out.push(n);
  }
  meta.updated_time = now.toISOString();
  return out;
}

/** The `metadata` block of a data read or write response. */
export function versionView(meta: KvV2KeyMetadata, version: number): Record<string, unknown> {
  const v = meta.versions[String(version)];
  return {
    created_time: v?.created_time ?? '',
    custom_metadata: meta.custom_metadata,
    deletion_time: v?.deletion_time ?? '',
    destroyed: v?.destroyed ?? false,
    version,
  };
}

/** The response of `GET metadata/:path`. */
export function metadataView(meta: KvV2KeyMetadata): Record<string, unknown> {
  return {
    cas_required: meta.cas_required,
    created_time: meta.created_time,
    current_version: meta.current_version,
    custom_metadata: meta.custom_metadata,
    delete_version_after: formatGoDuration(meta.delete_version_after_seconds),
    max_versions: meta.max_versions,
    oldest_version: meta.oldest_version,
    updated_time: meta.updated_time,
    versions: Object.fromEntries(Object.entries(meta.versions).sort(([a], [b]) => Number(a) - Number(b))),
  };
}

export function configView(config: KvV2Config): Record<string, unknown> {
  return {
    cas_required: config.cas_required,
    delete_version_after: formatGoDuration(config.delete_version_after_seconds),
    max_versions: config.max_versions,
  };
}

const MAX_CUSTOM_METADATA_KEYS = 64;
const MAX_CUSTOM_METADATA_KEY_BYTES = 128;
const MAX_CUSTOM_METADATA_VALUE_BYTES = 512;

/** Validates `custom_metadata` with Vault's limits; messages name the limit, never a key or value. */
export function parseCustomMetadata(raw: Record<string, unknown>): Record<string, string> {
  const entries = Object.entries(raw);
  if (entries.length > MAX_CUSTOM_METADATA_KEYS) throw invalidRequest(`custom_metadata may hold at most ${MAX_CUSTOM_METADATA_KEYS} keys`);
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (typeof value !== 'string') throw invalidRequest('custom_metadata values must be strings');
    if (key === '') throw invalidRequest('custom_metadata keys must not be empty');
    if (Buffer.byteLength(key) > MAX_CUSTOM_METADATA_KEY_BYTES)
      throw invalidRequest(`custom_metadata keys may be at most ${MAX_CUSTOM_METADATA_KEY_BYTES} bytes`);
    if (Buffer.byteLength(value) > MAX_CUSTOM_METADATA_VALUE_BYTES)
      throw invalidRequest(`custom_metadata values may be at most ${MAX_CUSTOM_METADATA_VALUE_BYTES} bytes`);
    out[key] = value;
  }
  return out;
}

/** Parses a `versions` list (numbers or numeric strings); at least one is required. */
export function parseVersionList(raw: readonly string[]): number[] {
  if (raw.length === 0) throw invalidRequest('no version number provided');
  return raw.map((s) => {
    if (!/^\d+$/.test(s.trim())) throw invalidRequest('versions must be positive integers');
    return Number(s.trim());
  });
}
