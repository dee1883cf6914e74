import { UsageError } from './usage-error.js';

/** How a flag takes its value: `string` (`-x=v` or `-x v`), `boolean` (`-x`, `-x=false`), `list` (repeatable, comma-separated). */
export type FlagKind = 'string' | 'boolean' | 'list';

/** One flag in the command table: how it parses, what help says about it, and its default as help shows it. */
export interface FlagDef {
  readonly kind: FlagKind;
  readonly description: string;
  readonly defaultText?: string;
}

/** The flags one command accepts, by name without the leading dash; parsing, help and completion read it. */
export type FlagSpec = Readonly<Record<string, FlagDef>>;

/** What `parseArgs` needs: a full definition, or just the kind (unit tests). */
type ParseSpec = Readonly<Record<string, FlagDef | FlagKind>>;

/** Builds a FlagDef; `defaultText` is what help prints as the default. */
export function flag(kind: FlagKind, description: string, defaultText?: string): FlagDef {
  return defaultText === undefined ? { kind, description } : { kind, description, defaultText };
}

/** Flags every command accepts, like Vault's HTTP options on each subcommand. */
export const GLOBAL_FLAGS: FlagSpec = Object.freeze({
  address: flag('string', 'Address of the Ferry server (env FERRY_ADDR, then VAULT_ADDR).', 'http://127.0.0.1:8200'),
  format: flag('string', 'Print the output in the given format: "table", "json" or "yaml".', 'table'),
  field: flag('string', 'Print only the field with the given name, raw, without a trailing newline when piped.'),
  'wrap-ttl': flag('string', 'Wraps the response in a cubbyhole token with the requested TTL (e.g. "5m").'),
  help: flag('boolean', 'Print this help and exit.'),
  h: flag('boolean', 'Print this help and exit.'),
});

const TRUE_WORDS = new Set(['true', '1', 't', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'f', 'no']);

/** The result of parsing one command's arguments: flag values plus the positional arguments in order. */
export class ParsedArgs {
  readonly positional: readonly string[];
  readonly #values: ReadonlyMap<string, string | boolean | string[]>;

  constructor(values: ReadonlyMap<string, string | boolean | string[]>, positional: readonly string[]) {
    this.#values = values;
    this.positional = positional;
  }

  /** True when the flag appeared on the command line. */
  has(name: string): boolean {
    return this.#values.has(name);
  }

  string(name: string): string | undefined {
    const value = this.#values.get(name);
    return typeof value === 'string' ? value : undefined;
  }

  /** The flag's value, or `undefined` when absent so callers can apply their own default. */
  bool(name: string): boolean | undefined {
    const value = this.#values.get(name);
    return typeof value === 'boolean' ? value : undefined;
  }

  list(name: string): string[] {
    const value = this.#values.get(name);
    return Array.isArray(value) ? [...value] : [];
  }

  /** Throws UsageError unless the positional count is within `[min, max]`, with Vault's wording. */
  expectPositional(min: number, max: number = min): readonly string[] {
    const count = this.positional.length;
    if (count < min) throw new UsageError(`Not enough arguments (expected ${min === max ? min : `${min}-${max}`}, got ${count})`);
    if (count > max) throw new UsageError(`Too many arguments (expected ${max === min ? max : `${min}-${max}`}, got ${count})`);
    return this.positional;
  }
}

/**
 * Parses Vault-style flags: a single or double dash, `-name=value` or `-name value` for value flags,
 * `-name` or `-name=false` for booleans. `--` ends flag parsing and a lone `-` is positional (stdin).
 * Flags may also follow positional arguments (Vault only warns about that). Unknown flags and missing
 * values throw UsageError. The command's own spec is merged with GLOBAL_FLAGS.
 */
export function parseArgs(args: readonly string[], spec: ParseSpec): ParsedArgs {
  const kinds: Record<string, FlagKind> = {};
  for (const [name, def] of Object.entries({ ...GLOBAL_FLAGS, ...spec })) kinds[name] = typeof def === 'string' ? def : def.kind;
  const values = new Map<string, string | boolean | string[]>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const inline = eq === -1 ? undefined : body.slice(eq + 1);
    const kind = kinds[name];
    if (name === '' || kind === undefined) throw new UsageError(`flag provided but not defined: -${name}`);
    if (kind === 'boolean') {
      values.set(name, inline === undefined ? true : parseBoolean(name, inline));
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = args[i + 1];
      if (next === undefined) throw new UsageError(`flag needs an argument: -${name}`);
      value = next;
      i++;
    }
    if (kind === 'string') {
      values.set(name, value);
    } else {
      const previous = values.get(name);
      const items = value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
      values.set(name, [...(Array.isArray(previous) ? previous : []), ...items]);
    }
  }
  return new ParsedArgs(values, positional);
}

function parseBoolean(name: string, text: string): boolean {
  const lower = text.toLowerCase();
  if (TRUE_WORDS.has(lower)) return true;
  if (FALSE_WORDS.has(lower)) return false;
  throw new UsageError(`invalid boolean value "${text}" for -${name}`);
}
