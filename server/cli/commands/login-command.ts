import type { JsonObject } from '../../api-client/vault-envelope.js';
import { flag } from '../args.js';
import { callApi, CommandError, EXIT_LOCAL_ERROR, EXIT_OK, EXIT_REMOTE_ERROR, type Command } from '../command.js';
import { writeTokenFile } from '../token-file.js';
import { UsageError } from '../usage-error.js';

const SUCCESS_BANNER = [
  'Success! You are now authenticated. The token information displayed below',
  'is already stored in the token file. You do NOT need to run "ferry login"',
  'again. Future requests will automatically use this token.',
].join('\n');

function parseLoginPairs(pairs: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    // The pair may hold a password, so it is not echoed.
    if (eq <= 0) throw new UsageError('invalid key/value pair: format must be key=value');
    values[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return values;
}

/** Turns a `lookup-self` answer into the `auth` block a login response carries, so both print alike. */
function authFromLookup(token: string, lookup: JsonObject): JsonObject {
  const data = (lookup.data ?? {}) as JsonObject;
  return {
    ...lookup,
    data: null,
    auth: {
      client_token: token,
      accessor: data.accessor ?? '',
      policies: data.policies ?? [],
      token_policies: data.policies ?? [],
      identity_policies: data.identity_policies ?? [],
      metadata: data.meta ?? null,
      lease_duration: data.ttl ?? 0,
      renewable: data.renewable ?? false,
    },
  };
}

/**
 * `ferry login [TOKEN]` verifies the token with `auth/token/lookup-self`;
 * `ferry login -method=userpass username=U [password=P]` posts to `auth/<path>/login/U`.
 * Either way the resulting token is saved to the token file (`-no-store` skips that).
 */
export const loginCommand: Command = {
  path: ['login'],
  usage: 'login [options] [TOKEN | K=V...]',
  synopsis: 'Authenticate locally',
  flags: {
    method: flag('string', 'Type of authentication to use: "token" or "userpass".', 'token'),
    path: flag('string', 'Mount path of the auth method; defaults to the method name.'),
    'no-store': flag('boolean', 'Do not save the token to the token helper file.', 'false'),
    'no-print': flag('boolean', 'Do not print the token or its details, only whether login succeeded.', 'false'),
    'token-only': flag('boolean', 'Print only the token, implies -no-store.', 'false'),
  },
  async run({ args, client, printer, io, config }) {
    const method = args.string('method') ?? 'token';
    let secret: JsonObject;
    let token: string;
    if (method === 'token') {
      const [raw] = args.expectPositional(0, 1);
      // `login -method=token token=X` names the token as Vault's token auth handler accepts it.
      const given = raw?.startsWith('token=') === true ? raw.slice('token='.length) : raw;
      token = given === undefined || given === '-' ? await io.readLine('Token (will be hidden): ') : given;
      if (token === '') throw new UsageError('Missing token: pass it as an argument or on stdin');
      const lookup = await callApi('Error authenticating', () => client.request('GET', 'auth/token/lookup-self', { token }));
      secret = authFromLookup(token, lookup ?? {});
    } else if (method === 'userpass') {
      const values = parseLoginPairs(args.positional);
      const username = values.username;
      if (username === undefined || username === '') throw new UsageError('Missing username: pass username=NAME');
      const password = values.password ?? (await io.readLine('Password (will be hidden): '));
      const mount = (args.string('path') ?? 'userpass').replace(/^\/+|\/+$/g, '');
      const path = `auth/${mount}/login/${encodeURIComponent(username)}`;
      const response = await callApi('Error authenticating', () => client.request('POST', path, { body: { password } }));
      const auth = (response?.auth ?? null) as JsonObject | null;
      if (response === null || auth === null || typeof auth.client_token !== 'string') {
        throw new CommandError('Error authenticating: the server returned no token', EXIT_REMOTE_ERROR);
      }
      secret = response;
      token = auth.client_token;
    } else {
      throw new UsageError(`Unknown auth method: ${method}. Use "token" or "userpass"`);
    }
    if (args.bool('no-store') !== true) {
      try {
        await writeTokenFile(config.tokenFilePath, token);
      } catch (err) {
        throw new CommandError(`Error storing token in ${config.tokenFilePath}: ${(err as NodeJS.ErrnoException).code ?? 'write failed'}`, EXIT_LOCAL_ERROR);
      }
    }
    if (args.bool('no-print') === true) return EXIT_OK;
    if (args.bool('token-only') === true) {
      printer.rawField(token);
      return EXIT_OK;
    }
    if (printer.field !== undefined || printer.isStructured) return printer.secret(secret);
    printer.out(`${SUCCESS_BANNER}\n\n`);
    return printer.secret(secret);
  },
};
