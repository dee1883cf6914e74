import { UsageError } from './usage-error.js';

/** What `ferry server` was asked to do, after its flags are parsed. */
export interface ServerFlags {
  readonly help: boolean;
  readonly dev: boolean;
  readonly devRootTokenId?: string;
  readonly devListenAddress: string;
  readonly devNoStoreToken: boolean;
  /** Every `-config` given, in order (files or directories). */
  readonly configPaths: readonly string[];
  readonly logLevel?: string;
  readonly logFormat?: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One flag of `ferry server`: its name, the value it takes (none for a boolean) and its help line. */
interface ServerFlag {
  readonly name: string;
  readonly value?: string;
  readonly description: string;
  apply(flags: Mutable<ServerFlags>, value: string | undefined): void;
}

export const DEFAULT_DEV_LISTEN_ADDRESS = '127.0.0.1:8200';

/** The one table of `ferry server`'s flags: parsing and `-h` both read it, so they cannot drift. */
export const SERVER_FLAGS: readonly ServerFlag[] = [
  {
    name: 'config',
    value: 'PATH',
    description:
      'Path to a configuration file or directory (its *.hcl and *.json files). Repeat it to read several; later files override earlier ones setting by setting.',
    apply: (flags, value) => void (flags.configPaths = [...flags.configPaths, value as string]),
  },
  {
    name: 'dev',
    description:
      'Start a development server: in memory, initialized and unsealed with one key, a KV v2 mount at secret/, and the root token written to the token file. Never for production.',
    apply: (flags, value) => void (flags.dev = parseBool('dev', value)),
  },
  {
    name: 'dev-root-token-id',
    value: 'TOKEN',
    description: 'With -dev: use this as the root token instead of a random one.',
    apply: (flags, value) => void (flags.devRootTokenId = value as string),
  },
  {
    name: 'dev-listen-address',
    value: 'HOST:PORT',
    description: `With -dev: the address to listen on. Default ${DEFAULT_DEV_LISTEN_ADDRESS}.`,
    apply: (flags, value) => void (flags.devListenAddress = value as string),
  },
  {
    name: 'dev-no-store-token',
    description: 'With -dev: do not write the root token to the token file (~/.vault-token).',
    apply: (flags, value) => void (flags.devNoStoreToken = parseBool('dev-no-store-token', value)),
  },
  {
    name: 'log-level',
    value: 'LEVEL',
    description: 'trace, debug, info, warn or error. Overrides VAULT_LOG_LEVEL and log_level in the config. Default info.',
    apply: (flags, value) => void (flags.logLevel = value as string),
  },
  {
    name: 'log-format',
    value: 'FORMAT',
    description: 'standard (text lines) or json. Overrides VAULT_LOG_FORMAT and log_format in the config. Default standard.',
    apply: (flags, value) => void (flags.logFormat = value as string),
  },
  {
    name: 'help',
    description: 'Print this help and exit (also -h).',
    apply: (flags) => void (flags.help = true),
  },
];

function parseBool(name: string, value: string | undefined): boolean {
  if (value === undefined || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new UsageError(`flag -${name} takes true or false`);
}

/** Parses Vault's flag syntax: `-name`, `--name`, `-name=value` or `-name value`. */
export function parseServerFlags(args: readonly string[]): ServerFlags {
  const flags: Mutable<ServerFlags> = { help: false, dev: false, devListenAddress: DEFAULT_DEV_LISTEN_ADDRESS, devNoStoreToken: false, configPaths: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const match = /^--?([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
    if (match === null) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}: "ferry server" takes only flags`);
    const name = match[1] === 'h' ? 'help' : (match[1] as string);
    const flag = SERVER_FLAGS.find((candidate) => candidate.name === name);
    if (flag === undefined) throw new UsageError(`unknown flag -${name} for "ferry server"`);
    let value = match[2];
    if (flag.value !== undefined && value === undefined) {
      value = args[++i];
      if (value === undefined) throw new UsageError(`flag -${name} needs a value (${flag.value})`);
    }
    flag.apply(flags, value);
  }
  if (!flags.help && !flags.dev && flags.configPaths.length === 0) throw new UsageError('ferry server needs -config=PATH, or -dev for a development server');
  return flags;
}

/** `ferry server -h`: usage and every flag with its description, from SERVER_FLAGS. */
export function serverHelp(): string {
  const lines = [
    'Usage: ferry server [options]',
    '',
    '  Start a Ferry server: with -config, from configuration files (see the README, "Configuration");',
    '  with -dev, an in-memory development server. It runs until SIGINT or SIGTERM.',
    '',
    '    $ ferry server -config=/etc/ferry/ferry.hcl',
    '    $ ferry server -dev -dev-root-token-id=root',
    '',
    'Options:',
  ];
  for (const flag of SERVER_FLAGS) {
    lines.push('', `  -${flag.name}${flag.value === undefined ? '' : `=${flag.value}`}`);
    lines.push(...wrap(flag.description, 72).map((line) => `      ${line}`));
  }
  return `${lines.join('\n')}\n`;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') out.push(line);
  return out;
}
