/** Appends a chunk of text to the target; resolves once it is written. */
export type AppendText = (text: string) => Promise<void>;

interface PendingLine {
  readonly line: string;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Batches audit lines into few writes. A line waits for the end of the event loop's current turn
 * (`setImmediate`), so the lines of every request handled in that turn go out in one append; while
 * an append is in flight, new lines wait, and when it completes everything waiting goes out in the
 * next one. Each `write` resolves only once the append carrying its own line completed, and
 * rejects if that append failed (the request then fails closed); a failed batch does not stop the
 * next one from trying.
 */
export class AuditFileWriter {
  private waiting: PendingLine[] = [];
  /** A flush is scheduled or running: new lines join the batch it takes next. */
  private writing = false;
  private appends = 0;

  constructor(private readonly append: AppendText) {}

  /** Appends made so far (each one write call), for tests and metrics. */
  get appendCount(): number {
    return this.appends;
  }

  write(line: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ line, resolve, reject });
      if (this.writing) return;
      this.writing = true;
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting;
        this.waiting = [];
        this.appends++;
        try {
          await this.append(batch.map((p) => p.line).join(''));
        } catch (err) {
          for (const pending of batch) pending.reject(err);
          continue;
        }
        for (const pending of batch) pending.resolve();
      }
    } finally {
      this.writing = false;
    }
  }
}
