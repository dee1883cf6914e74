/** One observation of a secondary's lag. */
export interface LagSample {
  readonly atMs: number;
  /** WAL entries the secondary is behind its primary (undefined: not known at that moment). */
  readonly walLag: number | undefined;
  /** Time since the last heartbeat on the link (undefined: never had one). */
  readonly heartbeatAgeMs: number | undefined;
}

/** Behind when the primary's last heartbeat on the link is older than this. */
export const BEHIND_HEARTBEAT_MS = 3_000;
/** Behind when this many WAL entries or more are not on the secondary yet. */
export const BEHIND_WAL_ENTRIES = 25;

/** How far a secondary trails: WAL entries its primary has that it has not (never negative). */
export function walLagOf(primaryLastWal: number | undefined, secondaryWal: number | undefined): number | undefined {
  if (primaryLastWal === undefined || secondaryWal === undefined) return undefined;
  return Math.max(0, primaryLastWal - secondaryWal);
}

/** Milliseconds since an RFC 3339 heartbeat time; undefined for an empty or unreadable time. */
export function heartbeatAgeOf(lastHeartbeat: string | undefined, nowMs: number): number | undefined {
  if (lastHeartbeat === undefined || lastHeartbeat === '') return undefined;
  const at = Date.parse(lastHeartbeat);
  return Number.isNaN(at) ? undefined : Math.max(0, nowMs - at);
}

/** Whether a sample shows a secondary behind: a stale heartbeat or too many WAL entries missing. */
export function isBehind(sample: Pick<LagSample, 'walLag' | 'heartbeatAgeMs'>): boolean {
  return (
    (sample.heartbeatAgeMs !== undefined && sample.heartbeatAgeMs > BEHIND_HEARTBEAT_MS) || (sample.walLag !== undefined && sample.walLag >= BEHIND_WAL_ENTRIES)
  );
}

/**
 * Lag samples per secondary over a sliding window, kept in the page only (no server storage).
 * Samples older than the window are dropped as new ones arrive.
 */
export class LagHistory {
  private readonly samples = new Map<string, LagSample[]>();

  constructor(readonly windowMs: number = 5 * 60_000) {}

  record(secondaryId: string, sample: LagSample): void {
    const list = this.samples.get(secondaryId) ?? [];
    list.push(sample);
    const oldest = sample.atMs - this.windowMs;
    while (list.length > 0 && (list[0] as LagSample).atMs < oldest) list.shift();
    this.samples.set(secondaryId, list);
  }

  series(secondaryId: string): readonly LagSample[] {
    return this.samples.get(secondaryId) ?? [];
  }

  /** Forgets secondaries that are no longer known (revoked). */
  keepOnly(secondaryIds: Iterable<string>): void {
    const keep = new Set(secondaryIds);
    for (const id of [...this.samples.keys()]) if (!keep.has(id)) this.samples.delete(id);
  }

  ids(): string[] {
    return [...this.samples.keys()].sort();
  }
}

/** An SVG path of WAL lag over time, scaled into a chart box, with its vertical scale. */
export interface LagChartPath {
  /** `M x y L x y …`; empty when no sample has a known lag. */
  readonly d: string;
  /** The lag at the top of the chart (at least 1). */
  readonly maxLag: number;
}

/**
 * Plots WAL lag against time: now at the right edge, `windowMs` ago at the left. Samples with an
 * unknown lag break nothing; they are skipped.
 */
export function lagChartPath(samples: readonly LagSample[], box: { widthPx: number; heightPx: number; windowMs: number; nowMs: number }): LagChartPath {
  const known = samples.filter((s): s is LagSample & { walLag: number } => s.walLag !== undefined && s.atMs >= box.nowMs - box.windowMs);
  const maxLag = Math.max(1, ...known.map((s) => s.walLag));
  const points = known.map((s) => {
    const x = box.widthPx - ((box.nowMs - s.atMs) / box.windowMs) * box.widthPx;
    const y = box.heightPx - (s.walLag / maxLag) * box.heightPx;
    return `${round(x)} ${round(y)}`;
  });
  return { d: points.length === 0 ? '' : `M ${points.join(' L ')}`, maxLag };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
