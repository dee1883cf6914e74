/**
 * A mistake in how the command was invoked (unknown flag, missing argument, bad duration).
 * `main` prints the message and exits with the usage exit code; nothing was sent to the server.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
