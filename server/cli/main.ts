import os from 'node:os';
import { VaultClient } from '../api-client/vault-client.js';
import { parseArgs } from './args.js';
import { loadCliConfig } from './cli-config.js';
import { createProcessIo, type CliIo } from './cli-io.js';
import { CommandError, EXIT_LOCAL_ERROR, EXIT_OK, EXIT_USAGE, type Command } from './command.js';
import { deleteCommand, listCommand, readCommand, writeCommand } from './commands/kv-commands.js';
import { loginCommand } from './commands/login-command.js';
import { operatorMigrateCommand } from './commands/migrate-command.js';
import { operatorInitCommand, operatorRotateCommand, operatorSealCommand, operatorUnsealCommand } from './commands/operator-commands.js';
import { policyDeleteCommand, policyListCommand, policyReadCommand, policyWriteCommand } from './commands/policy-commands.js';
import { snapshotInspectCommand, snapshotRestoreCommand, snapshotSaveCommand } from './commands/snapshot-commands.js';
import { statusCommand } from './commands/status-command.js';
import { tokenCreateCommand, tokenLookupCommand, tokenRevokeCommand } from './commands/token-commands.js';
import { Printer, parseOutputFormat } from './output.js';
import { parseDurationFlag } from './duration-flag.js';
import { UsageError } from './usage-error.js';

/** Every client subcommand; `server` is dispatched separately to keep server code out of client runs. */
export const COMMANDS: readonly Command[] = [
  readCommand,
  writeCommand,
  listCommand,
  deleteCommand,
  loginCommand,
  statusCommand,
  operatorInitCommand,
  operatorUnsealCommand,
  operatorSealCommand,
  operatorRotateCommand,
  tokenCreateCommand,
  tokenLookupCommand,
  tokenRevokeCommand,
  policyWriteCommand,
  policyReadCommand,
  policyListCommand,
  policyDeleteCommand,
  snapshotSaveCommand,
  snapshotRestoreCommand,
  snapshotInspectCommand,
  operatorMigrateCommand,
];

const GLOBAL_OPTIONS_HELP = [
  'Options for every command (before or after the positional arguments):',
  '  -address=ADDR      Server address (env FERRY_ADDR, then VAULT_ADDR; default http://127.0.0.1:8200)',
  '  -format=FORMAT     table (default) or json',
  '  -field=NAME        Print only this field, raw',
  '  -wrap-ttl=DURATION Ask the server to wrap the response (X-Vault-Wrap-TTL)',
  'Token: env FERRY_TOKEN, then VAULT_TOKEN, then the file written by "ferry login"',
  '(~/.ferry-token, or FERRY_TOKEN_FILE).',
].join('\n');

function overviewHelp(): string {
  const lines = ['Usage: ferry <command> [options] [args]', '', 'Commands:'];
  lines.push('  server             Start a Ferry server');
  for (const command of COMMANDS) lines.push(`  ${command.path.join(' ').padEnd(18)} ${command.synopsis}`);
  return `${lines.join('\n')}\n\n${GLOBAL_OPTIONS_HELP}\n`;
}

function commandHelp(command: Command): string {
  const own = Object.keys(command.flags);
  const flags = own.length > 0 ? `\nCommand options: ${own.map((f) => `-${f}`).join(' ')}\n` : '';
  return `Usage: ferry ${command.usage}\n\n  ${command.synopsis}\n${flags}\n${GLOBAL_OPTIONS_HELP}\n`;
}

/** Finds the command whose words are the longest prefix of `argv`; the rest are its arguments. */
export function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  let best: Command | undefined;
  for (const command of COMMANDS) {
    const matches = command.path.every((word, i) => argv[i] === word);
    if (matches && (best === undefined || command.path.length > best.path.length)) best = command;
  }
  return best === undefined ? undefined : { command: best, rest: argv.slice(best.path.length) };
}

/** What the CLI reads from its surroundings; tests pass their own. */
export interface CliRuntime {
  readonly io: CliIo;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
}

/** Runs one client command and returns its exit code (0 ok, 1 local failure, 2 usage or server error). */
export async function runCli(argv: readonly string[], runtime: CliRuntime): Promise<number> {
  const { io } = runtime;
  const first = argv[0];
  if (first === undefined || first === '-h' || first === '-help' || first === '--help' || first === 'help') {
    if (first === undefined) {
      io.writeErr(overviewHelp());
      return EXIT_USAGE;
    }
    io.writeOut(overviewHelp());
    return EXIT_OK;
  }
  const found = findCommand(argv);
  if (found === undefined) {
    const family = COMMANDS.filter((command) => command.path[0] === first && command.path.length > 1);
    const hint = family.length > 0 ? family.map((c) => `  ferry ${c.usage}`).join('\n') : overviewHelp();
    io.writeErr(`Unknown command: ${argv.slice(0, 2).join(' ')}\n\n${hint}\n`);
    return EXIT_USAGE;
  }
  const { command, rest } = found;
  try {
    const args = parseArgs(rest, command.flags);
    if (args.bool('help') === true || args.bool('h') === true) {
      io.writeOut(commandHelp(command));
      return EXIT_OK;
    }
    const config = await loadCliConfig(runtime.env, runtime.homeDir);
    const wrapTtl = args.string('wrap-ttl');
    if (wrapTtl !== undefined) parseDurationFlag(wrapTtl, 'wrap-ttl');
    const client = new VaultClient({ address: args.string('address') ?? config.address, token: config.token, wrapTtl });
    const printer = new Printer(io, parseOutputFormat(args.string('format')), args.string('field'));
    return await command.run({ args, client, printer, io, config });
  } catch (err) {
    if (err instanceof UsageError) {
      io.writeErr(`${err.message}\n\nUsage: ferry ${command.usage}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof CommandError) {
      io.writeErr(`${err.message}\n`);
      return err.exitCode;
    }
    io.writeErr(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_LOCAL_ERROR;
  }
}

/** Entry point used by `bin/ferry.js`: dispatches `ferry <command>` and sets the process exit code. */
export async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'server') {
    const { runServerCommand } = await import('./server-command.js');
    await runServerCommand(argv.slice(1));
    return;
  }
  process.exitCode = await runCli(argv, { io: createProcessIo(), env: process.env, homeDir: os.homedir() });
}
