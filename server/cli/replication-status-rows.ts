import type { JsonObject } from '../api-client/vault-envelope.js';
import { formatValue, type TableRow } from './output.js';

const BAR_WIDTH = 30;

function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/**
 * A text progress bar for a Merkle sync: `[#########---------------------] 30% (300/1000 keys)`.
 * An unknown total (sync not yet sized) shows an empty bar and `waiting`.
 */
export function formatProgressBar(doneKeys: number, totalKeys: number, width: number = BAR_WIDTH): string {
  if (!Number.isFinite(totalKeys) || totalKeys <= 0) return `[${'-'.repeat(width)}] waiting`;
  const fraction = Math.min(1, Math.max(0, doneKeys / totalKeys));
  const filled = Math.floor(fraction * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(fraction * 100)}% (${doneKeys}/${totalKeys} keys)`;
}

function blockRows(label: string, block: JsonObject): TableRow[] {
  const rows: TableRow[] = [[`${label} Mode`, formatValue(block.mode ?? 'unknown')]];
  if (typeof block.state === 'string' && block.state !== '') rows.push([`${label} State`, block.state]);
  if (block.mode === 'primary' && block.last_wal !== undefined) rows.push([`${label} Last WAL`, formatValue(block.last_wal)]);
  if (block.mode === 'secondary' && block.last_remote_wal !== undefined) {
    rows.push([`${label} Last Remote WAL`, formatValue(block.last_remote_wal)]);
  }
  if (typeof block.primary_cluster_addr === 'string' && block.primary_cluster_addr !== '' && block.mode === 'secondary') {
    rows.push([`${label} Primary Cluster Address`, block.primary_cluster_addr]);
  }
  const progress = asObject(block.merkle_sync_progress);
  const isSyncing = block.mode === 'bootstrapping' || block.state === 'merkle-sync' || progress !== undefined;
  if (isSyncing) {
    const total = Number(progress?.sync_total_keys ?? 0);
    const done = Number(progress?.sync_progress ?? 0);
    rows.push([`${label} Sync Progress`, formatProgressBar(done, total)]);
  }
  return rows;
}

/**
 * Rows for `ferry status` from `sys/replication/status`. Understands both shapes Vault has served:
 * one block (`data:{mode, state, …}`, the 0.7 API) and per type (`data:{performance:{…}, dr:{…}}`).
 */
export function replicationStatusRows(response: JsonObject): TableRow[] {
  const data = asObject(response.data) ?? response;
  const performance = asObject(data.performance);
  const dr = asObject(data.dr);
  if (performance !== undefined || dr !== undefined) {
    return [
      ...(performance !== undefined ? blockRows('Performance Replication', performance) : []),
      ...(dr !== undefined ? blockRows('DR Replication', dr) : []),
    ];
  }
  if (typeof data.mode === 'string') return blockRows('Replication', data);
  return [];
}
