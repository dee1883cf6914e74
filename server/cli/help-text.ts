import { GLOBAL_FLAGS, type FlagDef, type FlagSpec } from './args.js';
import type { Command } from './command.js';

const KIND_PLACEHOLDER = { string: '<string>', list: '<string>', boolean: '' } as const;

/** One flag as help prints it: `-name=<string>`, its description and default, indented like Vault's. */
export function flagHelp(name: string, def: FlagDef): string {
  const placeholder = KIND_PLACEHOLDER[def.kind];
  const head = `  -${name}${placeholder === '' ? '' : `=${placeholder}`}`;
  const extra = [def.kind === 'list' ? 'Repeatable.' : '', def.defaultText === undefined ? '' : `The default is ${def.defaultText}.`].filter((t) => t !== '');
  return `${head}\n      ${[def.description, ...extra].join(' ')}`;
}

function flagBlock(title: string, spec: FlagSpec): string {
  const names = Object.keys(spec);
  if (names.length === 0) return '';
  return `\n${title}:\n\n${names.map((name) => flagHelp(name, spec[name] as FlagDef)).join('\n\n')}\n`;
}

/** `ferry <command> -h`: usage, synopsis, the command's own flags, then the flags every command takes. */
export function commandHelp(command: Command): string {
  return `Usage: ferry ${command.usage}\n\n  ${command.synopsis}.\n${flagBlock('Command Options', command.flags)}${flagBlock('HTTP Options', GLOBAL_FLAGS)}`;
}

function commandLines(commands: readonly Command[], skip: number): string[] {
  const width = Math.max(0, ...commands.map((c) => c.path.slice(skip).join(' ').length));
  return commands.map((c) => `    ${c.path.slice(skip).join(' ').padEnd(width)}    ${c.synopsis}`);
}

/** `ferry kv -h` (or `ferry kv`): the group's subcommands with their synopses. */
export function groupHelp(group: readonly string[], synopsis: string, commands: readonly Command[]): string {
  const members = commands.filter((c) => c.path.length > group.length && group.every((word, i) => c.path[i] === word));
  return `Usage: ferry ${group.join(' ')} <subcommand> [options] [args]\n\n  ${synopsis}.\n\nSubcommands:\n${commandLines(members, group.length).join('\n')}\n`;
}

/** `ferry -h`: every command, grouped words first-level, like `vault -h`. */
export function overviewHelp(commands: readonly Command[], groups: Readonly<Record<string, string>>, serverSynopsis: string): string {
  const entries = new Map<string, string>([['server', serverSynopsis]]);
  for (const command of commands) {
    const first = command.path[0] as string;
    if (command.path.length > 1 && groups[first] !== undefined) entries.set(first, groups[first]);
    else entries.set(command.path.join(' '), command.synopsis);
  }
  const width = Math.max(...[...entries.keys()].map((key) => key.length));
  const lines = [...entries.entries()].map(([name, synopsis]) => `    ${name.padEnd(width)}    ${synopsis}`);
  return [
    'Usage: ferry <command> [args]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run "ferry <command> -h" for a command\'s options. Every command accepts -address, -format',
    '(table, json, yaml), -field and -wrap-ttl. The token comes from FERRY_TOKEN, then VAULT_TOKEN,',
    'then the token helper file written by "ferry login" (~/.vault-token, as Vault; FERRY_TOKEN_FILE moves it).',
    'Shell completion: "ferry -autocomplete-install", or "source <(ferry completion bash)".',
    '',
  ].join('\n');
}
