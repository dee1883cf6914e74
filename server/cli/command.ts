import { ApiError } from '../api-client/api-error.js';
import { TransportError } from '../api-client/transport-error.js';
import type { VaultClient } from '../api-client/vault-client.js';
import type { ParsedArgs, FlagSpec } from './args.js';
import type { CliConfig } from './cli-config.js';
import type { CliIo } from './cli-io.js';
import type { Printer } from './output.js';

/** Exit codes, as Vault's CLI uses them: 0 success, 1 local failure or bad usage (flags, argument count), 2 remote failure. */
export const EXIT_OK = 0;
export const EXIT_LOCAL_ERROR = 1;
export const EXIT_USAGE = 1;
export const EXIT_REMOTE_ERROR = 2;
/** `ferry nosuchcommand`: usage on stderr and 127, like Vault's CLI framework. */
export const EXIT_UNKNOWN_COMMAND = 127;

/** Everything a command needs; built once per invocation by `main`. */
export interface CommandContext {
  readonly args: ParsedArgs;
  readonly client: VaultClient;
  readonly printer: Printer;
  readonly io: CliIo;
  readonly config: CliConfig;
  /** The whole command table, for commands generated from it (`completion`). */
  readonly commands: readonly Command[];
}

/** One subcommand: its words (`['token', 'create']`), its flags and its behaviour. Returns the exit code. */
export interface Command {
  readonly path: readonly string[];
  readonly usage: string;
  readonly synopsis: string;
  readonly flags: FlagSpec;
  run(ctx: CommandContext): Promise<number>;
}

/** A failure already phrased for the user (`Error writing sys/x: …`), with its exit code. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/**
 * Awaits an API call and turns a server or connection failure into a CommandError prefixed with
 * what was being done (`Error reading secret/foo`), exit code 2 like Vault.
 */
export async function callApi<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ApiError || err instanceof TransportError) {
      throw new CommandError(`${action}: ${err.message}`, EXIT_REMOTE_ERROR);
    }
    throw err;
  }
}
