import type { TopologyLink } from './topology-model.js';

/** Seconds with one decimal below a minute, whole minutes above. */
export function formatAge(ms: number | undefined): string {
  if (ms === undefined) return 'no heartbeat';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min`;
}

/** A link's short label: its state, then lag (WAL entries, heartbeat age) and any resync progress. */
export function linkLabel(link: TopologyLink): { state: string; detail: string } {
  if (link.kind === 'ha') return { state: 'standby', detail: link.heartbeatAgeMs === undefined ? '' : `echo ${formatAge(link.heartbeatAgeMs)} ago` };
  const parts: string[] = [];
  if (link.walLag !== undefined) parts.push(`lag ${link.walLag} WAL`);
  parts.push(link.heartbeatAgeMs === undefined ? 'no heartbeat' : `heartbeat ${formatAge(link.heartbeatAgeMs)} ago`);
  if (link.syncProgress !== undefined) parts.push(`resync ${link.syncProgress.done}/${link.syncProgress.total} keys`);
  return { state: link.isBehind ? `${link.state} · behind` : link.state, detail: parts.join(' · ') };
}
