import os from 'node:os';
import { VaultClient } from '../api-client/vault-client.js';
import { parseArgs } from './args.js';
import { loadCliConfig } from './cli-config.js';
import { createProcessIo, type CliIo } from './cli-io.js';
import { COMMANDS, GROUP_SYNOPSES, SERVER_SYNOPSIS } from './command-table.js';
import { CommandError, EXIT_LOCAL_ERROR, EXIT_OK, EXIT_UNKNOWN_COMMAND, EXIT_USAGE, type Command } from './command.js';
import { installCompletion, uninstallCompletion } from './completion-install.js';
import { commandHelp, groupHelp, overviewHelp } from './help-text.js';
import { Printer, parseOutputFormat } from './output.js';
import { parseDurationFlag } from './duration-flag.js';
import { UsageError } from './usage-error.js';

const HELP_WORDS = new Set(['-h', '-help', '--help']);
const VERSION_WORDS = new Set(['-v', '-version', '--version']);

/** Finds the command whose words are the longest prefix of `argv`; the rest are its arguments. */
export function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  let best: Command | undefined;
  for (const command of COMMANDS) {
    const matches = command.path.every((word, i) => argv[i] === word);
    if (matches && (best === undefined || command.path.length > best.path.length)) best = command;
  }
  return best === undefined ? undefined : { command: best, rest: argv.slice(best.path.length) };
}

/** The longest command group (`kv metadata`, `operator`) that `argv` starts with. */
function findGroup(argv: readonly string[]): string[] | undefined {
  let best: string[] | undefined;
  for (const name of Object.keys(GROUP_SYNOPSES)) {
    const words = name.split(' ');
    if (words.every((word, i) => argv[i] === word) && (best === undefined || words.length > best.length)) best = words;
  }
  return best;
}

/**
 * Answers argv that names no command, as Vault's CLI framework does: a group with `-h` prints its
 * help (exit 0), a bare group prints it on stderr (exit 1), anything else is an unknown command (127).
 */
function runWithoutCommand(argv: readonly string[], io: CliIo): number {
  const group = findGroup(argv);
  const overview = overviewHelp(COMMANDS, GROUP_SYNOPSES, SERVER_SYNOPSIS);
  if (group === undefined) {
    io.writeErr(overview);
    return EXIT_UNKNOWN_COMMAND;
  }
  const help = groupHelp(group, GROUP_SYNOPSES[group.join(' ')] ?? '', COMMANDS);
  const next = argv[group.length];
  if (next !== undefined && HELP_WORDS.has(next)) {
    io.writeOut(help);
    return EXIT_OK;
  }
  io.writeErr(help);
  return next === undefined || next.startsWith('-') ? EXIT_USAGE : EXIT_UNKNOWN_COMMAND;
}

/** What the CLI reads from its surroundings; tests pass their own. */
export interface CliRuntime {
  readonly io: CliIo;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
}

/** Runs one client command and returns its exit code (0 ok, 1 local failure or bad usage, 2 server error, 127 unknown command). */
export async function runCli(argv: readonly string[], runtime: CliRuntime): Promise<number> {
  const { io } = runtime;
  const first = argv[0];
  if (first === undefined) {
    io.writeErr(overviewHelp(COMMANDS, GROUP_SYNOPSES, SERVER_SYNOPSIS));
    return EXIT_UNKNOWN_COMMAND;
  }
  if (HELP_WORDS.has(first) || first === 'help') {
    io.writeOut(overviewHelp(COMMANDS, GROUP_SYNOPSES, SERVER_SYNOPSIS));
    return EXIT_OK;
  }
  if (first === '-autocomplete-install' || first === '-autocomplete-uninstall') {
    const isInstall = first === '-autocomplete-install';
    const changed = await (isInstall ? installCompletion : uninstallCompletion)(runtime.homeDir);
    const verb = isInstall ? 'installed in' : 'removed from';
    io.writeOut(
      changed.length === 0
        ? `Nothing to do: autocompletion is already ${isInstall ? 'installed' : 'absent'}.\n`
        : `Autocompletion ${verb}: ${changed.join(', ')}\n`,
    );
    return EXIT_OK;
  }
  const found = VERSION_WORDS.has(first) ? findCommand(['version']) : findCommand(argv);
  if (found === undefined) return runWithoutCommand(argv, io);
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
    return await command.run({ args, client, printer, io, config, commands: COMMANDS });
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
