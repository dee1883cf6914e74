import { flag } from '../args.js';
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
    policy: flag('list', 'Name of a policy to attach to the token; repeat or separate with commas.'),
    ttl: flag('string', 'Initial TTL of the token (e.g. "1h"); renewals reset to it.'),
    'explicit-max-ttl': flag('string', 'Hard cap on the token lifetime, even through renewals.'),
    period: flag('string', 'Make a periodic token renewed for this period on each renewal.'),
    orphan: flag('boolean', 'Create the token with no parent.', 'false'),
    'display-name': flag('string', 'Name associated with the token, shown in audit logs.'),
    'num-uses': flag('string', 'Number of times the token may be used; 0 is unlimited.', '0'),
    renewable: flag('boolean', 'Allow the token to be renewed up to its maximum TTL.', 'true'),
    'no-default-policy': flag('boolean', 'Do not attach the "default" policy.', 'false'),
    metadata: flag('list', 'Metadata key=value to attach to the token; repeatable.'),
    id: flag('string', 'Value for the token itself (root only).'),
    role: flag('string', 'Name of the token role to create the token against.'),
    type: flag('string', 'Type of token: "service" or "batch".', 'service'),
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
  flags: { accessor: flag('boolean', 'Treat the argument as an accessor instead of a token.', 'false') },
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
  flags: {
    accessor: flag('boolean', 'Treat the argument as an accessor instead of a token.', 'false'),
    self: flag('boolean', 'Revoke the token used to authenticate this command.', 'false'),
  },
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

/** `ferry token renew [TOKEN]`: auth/token/renew (renew-self without TOKEN). */
export const tokenRenewCommand: Command = {
  path: ['token', 'renew'],
  usage: 'token renew [options] [TOKEN]',
  synopsis: 'Renew a token lease',
  flags: {
    increment: flag('string', 'Request a specific increment for the renewal (e.g. "1h"); the server may cap it.'),
    i: flag('string', 'Alias for -increment.'),
    accessor: flag('boolean', 'Treat the argument as an accessor instead of a token.', 'false'),
  },
  async run({ args, client, printer }) {
    const [target] = args.expectPositional(0, 1);
    const body: Record<string, unknown> = {};
    const increment = args.string('increment') ?? args.string('i');
    if (increment !== undefined) body.increment = parseDurationFlag(increment, 'increment');
    const isAccessor = args.bool('accessor') === true;
    if (isAccessor && target === undefined) throw new UsageError('Not enough arguments: -accessor needs an ACCESSOR');
    const request =
      target === undefined
        ? () => client.request('POST', 'auth/token/renew-self', { body })
        : isAccessor
          ? () => client.request('POST', 'auth/token/renew-accessor', { body: { ...body, accessor: target } })
          : () => client.request('POST', 'auth/token/renew', { body: { ...body, token: target } });
    const secret = await callApi('Error renewing token', request);
    if (secret === null) throw new CommandError('Error renewing token: the server returned nothing', EXIT_REMOTE_ERROR);
    return printer.secret(secret);
  },
};

/** `ferry token capabilities [TOKEN] PATH`: sys/capabilities-self or sys/capabilities; prints `create, read`. */
export const tokenCapabilitiesCommand: Command = {
  path: ['token', 'capabilities'],
  usage: 'token capabilities [options] [TOKEN] PATH',
  synopsis: 'Print capabilities of a token on a path',
  flags: { accessor: flag('boolean', 'Treat the TOKEN argument as an accessor.', 'false') },
  async run({ args, client, printer }) {
    const given = args.expectPositional(1, 2);
    const [token, path] = given.length === 2 ? (given as [string, string]) : [undefined, given[0] as string];
    const isAccessor = args.bool('accessor') === true;
    if (isAccessor && token === undefined) throw new UsageError('Not enough arguments: -accessor needs an ACCESSOR');
    const request =
      token === undefined
        ? () => client.request('POST', 'sys/capabilities-self', { body: { paths: [path] } })
        : isAccessor
          ? () => client.request('POST', 'sys/capabilities-accessor', { body: { accessor: token, paths: [path] } })
          : () => client.request('POST', 'sys/capabilities', { body: { token, paths: [path] } });
    const response = (await callApi('Error listing capabilities', request)) ?? {};
    const data = (response.data ?? response) as Record<string, unknown>;
    const raw = data[path] ?? data.capabilities ?? [];
    const capabilities = (Array.isArray(raw) ? raw.map(String) : []).sort();
    if (printer.isStructured) printer.structured(capabilities);
    else printer.out(capabilities.join(', '));
    return EXIT_OK;
  },
};
