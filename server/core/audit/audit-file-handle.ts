import { type FileHandle, open } from 'node:fs/promises';

/**
 * An audit log file kept open for appending, as Vault's file device keeps it: one `write` call
 * per batch instead of open + write + close on libuv's thread pool. The file is opened on the
 * first append (created with the device's mode) and reopened after a failed write and after
 * `reopen()` (SIGHUP, for log rotation: the renamed file is let go and a new one created at the
 * path). A failed write closes the handle and rejects; the next append tries to open again, so a
 * path that stops being writable still fails closed. Operations run one at a time, in order.
 */
export class AuditFileHandle {
  private handle: FileHandle | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly mode: number,
  ) {}

  append(text: string): Promise<void> {
    return this.run(async () => {
      this.handle ??= await open(this.path, 'a', this.mode);
      try {
        const data = Buffer.from(text, 'utf8');
        let offset = 0;
        while (offset < data.length) offset += (await this.handle.write(data, offset, data.length - offset)).bytesWritten;
      } catch (err) {
        await this.closeNow();
        throw err;
      }
    });
  }

  /** Lets go of the open file after the writes already queued; the next append opens the path anew. */
  reopen(): Promise<void> {
    return this.run(() => this.closeNow());
  }

  close(): Promise<void> {
    return this.run(() => this.closeNow());
  }

  private async closeNow(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  private run<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(op, op);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
