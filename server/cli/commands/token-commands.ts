import { callApi, CommandError, EXIT_OK, EXIT_REMOTE_ERROR, type Command } from '../command.js';
import { parseDurationFlag } from '../duration-flag.js';
import { UsageError } from '../usage-error.js';

/**
 * `ferry token create`: POST auth/token/create (auth/token/create-orphan with `-orphan`, as Vault's
 * CLI does). Durations are validated locally and sent as seconds.
 */
export const tokenCreateCommand: Command = {
  path: ['token', 'create'],
  usage: 'token create [options]',
  synopsis: 'Create a new token',
  flags: {
    policy: 'list',
    ttl: 'string',
    'explicit-max-ttl': 'string',
    period: 'string',
    orphan: 'boolean',
    'display-name': 'string',
    'num-uses': 'string',
    renewable: 'boolean',
    'no-default-policy': 'boolean',
    metadata: 'list',
    id: 'string',
    role: 'string',
    type: 'string',
  },
  async run({ args, client, printer }) {
    args.expectPositional(0);
    const body: Record<string, unknown> = {};
    const policies = args.list('policy');
    if (policies.length > 0) body.policies = policies;
    for (const [flag, field] of [
      ['ttl', 'ttl'],
      ['explicit-max-ttl', 'explicit_max_ttl'],
      ['period', 'period'],
    ] as const) {
      const text = args.string(flag);
      if (text !== undefined) body[field] = `${parseDurationFlag(text, flag)}s`;
    }
    const displayName = args.string('display-name');
    if (displayName !== undefined) body.display_name = displayName;
    const numUses = args.string('num-uses');
    if (numUses !== undefined) {
      if (!/^\d+$/.test(numUses)) throw new UsageError(`invalid value "${numUses}" for -num-uses: expected a whole number`);
      body.num_uses = Number(numUses);
    }
    body.renewable = args.bool('renewable') ?? true;
    if (args.bool('no-default-policy') === true) body.no_default_policy = true;
    const metadata = parseMetadata(args.list('metadata'));
    if (metadata !== undefined) body.meta = metadata;
    const id = args.string('id');
    if (id !== undefined) body.id = id;
    const type = args.string('type');
    if (type !== undefined) body.type = type;
    const role = args.string('role');
    const isOrphan = args.bool('orphan') === true;
    if (role !== undefined && isOrphan) throw new UsageError('-role and -orphan cannot be used together');
    const path = role !== undefined ? `auth/token/create/${role}` : isOrphan ? 'auth/token/create-orphan' : 'auth/token/create';
    const secret = await callApi('Error creating token', () => client.request('POST', path, { body }));
    if (secret === null) throw new CommandError('Error creating token: the server returned no token', EXIT_REMOTE_ERROR);
    return printer.secret(secret);
  },
};

function parseMetadata(pairs: readonly string[]): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  const metadata: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid -metadata "${pair}": format must be key=value`);
    metadata[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return metadata;
}

/** `ferry token lookup [TOKEN | -accessor ACCESSOR]`; no argument looks up the current token. */
export const tokenLookupCommand: Command = {
  path: ['token', 'lookup'],
  usage: 'token lookup [options] [TOKEN | ACCESSOR]',
  synopsis: 'Display information about a token',
  flags: { accessor: 'boolean' },
  async run({ args, client, printer }) {
    const [target] = args.expectPositional(0, 1);
    const isAccessor = args.bool('accessor') === true;
    if (isAccessor && target === undefined) throw new UsageError('Not enough arguments: -accessor needs an ACCESSOR');
    const request =
      target === undefined
        ? () => client.request('GET', 'auth/token/lookup-self')
        : isAccessor
          ? () => client.request('POST', 'auth/token/lookup-accessor', { body: { accessor: target } })
          : () => client.request('POST', 'auth/token/lookup', { body: { token: target } });
    const secret = await callApi('Error looking up token', request);
    if (secret === null) throw new CommandError('Error looking up token: the server returned nothing', EXIT_REMOTE_ERROR);
    return printer.secret(secret);
  },
};

/** `ferry token revoke [TOKEN | -accessor ACCESSOR | -self]`. */
export const tokenRevokeCommand: Command = {
  path: ['token', 'revoke'],
  usage: 'token revoke [options] [TOKEN | ACCESSOR]',
  synopsis: 'Revoke a token and its children',
  flags: { accessor: 'boolean', self: 'boolean' },
  async run({ args, client, printer }) {
    const isSelf = args.bool('self') === true;
    const isAccessor = args.bool('accessor') === true;
    const [target] = args.expectPositional(isSelf ? 0 : 1, isSelf ? 0 : 1);
    if (isSelf && isAccessor) throw new UsageError('-self and -accessor cannot be used together');
    const request = isSelf
      ? () => client.request('POST', 'auth/token/revoke-self')
      : isAccessor
        ? () => client.request('POST', 'auth/token/revoke-accessor', { body: { accessor: target } })
        : () => client.request('POST', 'auth/token/revoke', { body: { token: target } });
    await callApi('Error revoking token', request);
    printer.out('Success! Revoked token (if it existed)');
    return EXIT_OK;
  },
};
