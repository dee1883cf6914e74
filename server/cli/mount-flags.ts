import { flag, type FlagSpec, type ParsedArgs } from './args.js';
import { parseDurationFlag } from './duration-flag.js';
import { UsageError } from './usage-error.js';

/** Flags `secrets enable`/`auth enable` share, with Vault's names. */
export const MOUNT_ENABLE_FLAGS: FlagSpec = {
  path: flag('string', 'Place where the engine or method will be mounted; defaults to its type.'),
  description: flag('string', 'Human-friendly description of the mount.'),
  'default-lease-ttl': flag('string', 'Default lease TTL for this mount; defaults to the system default.'),
  'max-lease-ttl': flag('string', 'Maximum lease TTL for this mount; defaults to the system maximum.'),
  local: flag('boolean', 'Mark the mount as local-only: it is not replicated to secondaries.', 'false'),
  options: flag('list', 'Key=value option passed to the backend; repeatable.'),
};

/** Flags `secrets tune`/`auth tune` accept. */
export const MOUNT_TUNE_FLAGS: FlagSpec = {
  description: flag('string', 'Human-friendly description of the mount.'),
  'default-lease-ttl': flag('string', 'Default lease TTL for this mount.'),
  'max-lease-ttl': flag('string', 'Maximum lease TTL for this mount.'),
  options: flag('list', 'Key=value option passed to the backend; repeatable.'),
};

/** `-options=k=v` (or bare `k=v` arguments) as an object; malformed pairs are a usage error. */
export function parseOptionPairs(pairs: readonly string[], what = 'option'): Record<string, string> {
  const options: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid ${what} "${pair}": format must be key=value`);
    options[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return options;
}

/** The `config` block of a mount request from the TTL flags, in seconds; empty when none was given. */
export function mountConfig(args: ParsedArgs): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [name, field] of [
    ['default-lease-ttl', 'default_lease_ttl'],
    ['max-lease-ttl', 'max_lease_ttl'],
  ] as const) {
    const text = args.string(name);
    if (text !== undefined) config[field] = `${parseDurationFlag(text, name)}s`;
  }
  return config;
}

/** A mount path as Vault prints it: no leading slash, one trailing slash. */
export function mountPath(path: string): string {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') throw new UsageError('Missing mount path');
  return `${trimmed}/`;
}
