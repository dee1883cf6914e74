import type { JsonObject } from '../api-client/vault-envelope.js';
import { formatValue, type TableRow } from './output.js';

/**
 * The rows `vault status` and `vault operator unseal` print for `sys/seal-status`: seal type,
 * init/seal state, shares and threshold, unseal progress while sealed, then version and cluster.
 */
export function sealStatusRows(status: JsonObject): TableRow[] {
  const rows: TableRow[] = [
    ['Seal Type', formatValue(status.type ?? 'shamir')],
    ['Initialized', formatValue(status.initialized ?? false)],
    ['Sealed', formatValue(status.sealed ?? false)],
    ['Total Shares', formatValue(status.n ?? 0)],
    ['Threshold', formatValue(status.t ?? 0)],
  ];
  if (status.sealed === true) {
    rows.push(['Unseal Progress', `${formatValue(status.progress ?? 0)}/${formatValue(status.t ?? 0)}`]);
    rows.push(['Unseal Nonce', typeof status.nonce === 'string' && status.nonce !== '' ? status.nonce : 'n/a']);
  }
  const optional: [string, string][] = [
    ['Version', 'version'],
    ['Build Date', 'build_date'],
    ['Storage Type', 'storage_type'],
    ['Cluster Name', 'cluster_name'],
    ['Cluster ID', 'cluster_id'],
  ];
  for (const [label, field] of optional) {
    const value = status[field];
    if (value !== undefined && value !== null && value !== '') rows.push([label, formatValue(value)]);
  }
  return rows;
}
