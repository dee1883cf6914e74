import type { DestinationStream } from 'pino';

/**
 * Holds log lines back until `open()` (as Vault's server command does), so the startup banner is
 * printed whole before the first log line instead of interleaved with it. Lines go to `target`.
 */
export class LogGate implements DestinationStream {
  private held: string[] | undefined = [];

  constructor(private readonly target: (line: string) => void) {}

  write(line: string): void {
    if (this.held === undefined) this.target(line);
    else this.held.push(line);
  }

  /** Writes the held lines in order, then lets every later line straight through. */
  open(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const line of held) this.target(line);
  }
}
