/**
 * How late the event loop runs a timer, as a cumulative histogram (Prometheus style), so a
 * scraper can subtract two scrapes and get the distribution over any window. A timer is due every
 * SAMPLE_MS; its lateness is one sample. Stalls of the loop (long synchronous work, GC pauses)
 * show up as late samples: they are what turns into p99 request and replication latency.
 */
const SAMPLE_MS = 20;
/** Bucket upper bounds in milliseconds. */
export const EVENT_LOOP_DELAY_BUCKETS_MS: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

export class EventLoopDelay {
  private readonly counts = new Array<number>(EVENT_LOOP_DELAY_BUCKETS_MS.length + 1).fill(0);
  private sum = 0;
  private max = 0;
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    if (this.timer !== undefined) return;
    let due = performance.now() + SAMPLE_MS;
    this.timer = setInterval(() => {
      const now = performance.now();
      this.record(Math.max(0, now - due));
      due = now + SAMPLE_MS;
    }, SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  record(delayMs: number): void {
    let i = EVENT_LOOP_DELAY_BUCKETS_MS.findIndex((le) => delayMs <= le);
    if (i === -1) i = EVENT_LOOP_DELAY_BUCKETS_MS.length;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += delayMs;
    this.max = Math.max(this.max, delayMs);
  }

  /** Prometheus text: `ferry_runtime_event_loop_delay_ms` histogram and its running maximum. */
  metrics(): string {
    const name = 'ferry_runtime_event_loop_delay_ms';
    const lines = [`# HELP ${name} Lateness of a timer due every ${SAMPLE_MS} ms: event-loop stalls`, `# TYPE ${name} histogram`];
    let cumulative = 0;
    EVENT_LOOP_DELAY_BUCKETS_MS.forEach((le, i) => {
      cumulative += this.counts[i] as number;
      lines.push(`${name}_bucket{le="${le}"} ${cumulative}`);
    });
    cumulative += this.counts[EVENT_LOOP_DELAY_BUCKETS_MS.length] as number;
    lines.push(`${name}_bucket{le="+Inf"} ${cumulative}`, `${name}_sum ${this.sum.toFixed(3)}`, `${name}_count ${cumulative}`);
    lines.push(`# HELP ${name}_max Longest timer lateness since start`, `# TYPE ${name}_max gauge`, `${name}_max ${this.max.toFixed(3)}`);
    return lines.join('\n') + '\n';
  }
}

/** The process's one sampler, started by the server at startup. */
export const eventLoopDelay = new EventLoopDelay();
