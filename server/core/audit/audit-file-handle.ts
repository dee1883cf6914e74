import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * An audit log file kept open for appending, as Vault's file device keeps it. An append is one
 * `write(2)` of a whole batch (`AuditFileWriter`: every line of an event-loop turn) on the event
 * loop's thread, as Vault's device writes from the request's goroutine and pino writes log lines
 * to a file: an append without fsync lands in the page cache in microseconds, while a thread-pool
 * round trip cost each request more of the main thread's CPU than the write itself. The file is
 * opened on the first append (created with the device's mode) and reopened after a failed write
 * and after `reopen()` (SIGHUP, for log rotation: the renamed file is let go and a new one created
 * at the path). A failed write closes the file and rejects; the next append tries to open again,
 * so a path that stops being writable still fails closed.
 */
export class AuditFileHandle {
  private fd: number | undefined;

  constructor(
    private readonly path: string,
    private readonly mode: number,
  ) {}

  /** Appends the text; resolves once the kernel has all of it, rejects (and lets go of the file) if it cannot. */
  append(text: string): Promise<void> {
    try {
      this.fd ??= openSync(this.path, 'a', this.mode);
      const data = Buffer.from(text, 'utf8');
      let offset = 0;
      try {
        while (offset < data.length) offset += writeSync(this.fd, data, offset, data.length - offset);
      } catch (err) {
        this.closeNow();
        throw err;
      }
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** Lets go of the open file; the next append opens the path anew. */
  reopen(): Promise<void> {
    this.closeNow();
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closeNow();
    return Promise.resolve();
  }

  private closeNow(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {
      // A descriptor that cannot be closed is gone either way.
    }
  }
}
