import type { BackendFactory } from '../../core/core.js';
import type { FieldData, FieldSchemas } from '../../core/field-data.js';
import type { LogicalResponse } from '../../core/logical.js';
import { PathTable, type PathContext } from '../../core/path-table.js';
import { invalidRequest, notFound, VaultError } from '../../core/vault-error.js';
import { authResponse } from '../token/token-auth-response.js';
import { hashPassword, verifyPassword, type PasswordHash } from './password-hash.js';
import { isAddressAllowed } from '../../core/bound-cidrs.js';
import { entityForLogin } from '../../core/login-entity.js';
import {
  applyTokenSettings,
  checkTokenTtls,
  emptyTokenSettings,
  loginPolicies,
  loginTokenType,
  loginTtls,
  normalizePolicies,
  tokenSettingsFields,
  type TokenSettings,
} from '../token/token-settings.js';
import { userFromStorage, userView, type UserpassUser } from './userpass-user.js';

/** Vault's user name rule (word characters, with '.', '-', '@' inside); names are stored lower-case. */
const USERNAME = '(?<username>\\w(?:[\\w.@-]*\\w)?)';
const USER_PREFIX = 'user/';
const INVALID_CREDENTIALS = 'invalid username or password';

const userFields: FieldSchemas = {
  ...tokenSettingsFields,
  password: { type: 'string' },
  ttl: { type: 'duration' },
  max_ttl: { type: 'duration' },
};

/** The shared token settings, plus userpass's deprecated `ttl` and `max_ttl` (`token_x` wins, as in Vault). */
function applyUserSettings(user: TokenSettings, fields: FieldData): void {
  applyTokenSettings(user, fields);
  if (!fields.has('token_ttl') && fields.has('ttl')) user.token_ttl = fields.seconds('ttl');
  if (!fields.has('token_max_ttl') && fields.has('max_ttl')) user.token_max_ttl = fields.seconds('max_ttl');
  checkTokenTtls(user);
}

function requirePassword(fields: FieldData): string {
  const password = fields.string('password');
  if (password === '') throw invalidRequest('missing password');
  return password;
}

/**
 * The userpass auth method (mount type `userpass`): users with scrypt-hashed passwords and token
 * settings, and `login/:username`, which issues a token (service or batch, as `token_type` says) on this cluster only. Users live
 * in the mount's storage, so they replicate with a non-local mount; the tokens never do.
 *
 * A wrong password and an unknown user both cost one full scrypt and answer the same
 * 400 "invalid username or password".
 */
export const userpassBackend: BackendFactory = ({ core, mount, storage, logger }) => {
  const userKey = (name: string) => USER_PREFIX + name;
  const readUser = async (name: string): Promise<UserpassUser | undefined> => {
    const raw = await storage.get(userKey(name));
    return raw === undefined ? undefined : userFromStorage(raw);
  };
  const writeUser = (name: string, user: UserpassUser) => storage.put(userKey(name), Buffer.from(JSON.stringify(user)));
  const nameOf = (ctx: PathContext): string => (ctx.captures.username ?? '').toLowerCase();
  const requireUser = async (name: string): Promise<UserpassUser> => {
    const user = await readUser(name);
    if (user === undefined) throw invalidRequest('username does not exist');
    return user;
  };
  // Verified against when the user does not exist, so both failures take one scrypt.
  let dummy: Promise<PasswordHash> | undefined;
  const dummyHash = () => (dummy ??= hashPassword(`unknown-user-${Math.random()}`));
  void dummyHash();

  const liveMount = () => core.auths.all().find((e) => e.uuid === mount.uuid) ?? mount;

  const login = async (ctx: PathContext): Promise<LogicalResponse> => {
    const name = nameOf(ctx);
    const password = ctx.fields.string('password');
    if (password === '') throw invalidRequest('missing password');
    const user = await readUser(name);
    const isValid = await verifyPassword(password, user?.password ?? (await dummyHash()));
    if (user === undefined || !isValid) {
      logger.info({ mount: `auth/${mount.path}` }, 'userpass login failed');
      throw invalidRequest(INVALID_CREDENTIALS);
    }
    if (!isAddressAllowed(user.token_bound_cidrs, ctx.req.remoteAddress)) {
      throw new VaultError('permission_denied', 'login request originated from invalid CIDR');
    }
    const live = liveMount();
    const { ttl, ceiling } = loginTtls(user, live.config);
    // The entity of alias (this mount, user name), created on the first login.
    const entity = await entityForLogin(core, live, name, {});
    const { id, entry } = await core.tokens.create({
      policies: loginPolicies(user),
      path: `auth/${mount.path}login/${name}`,
      meta: { username: name },
      displayName: `${mount.type}-${name}`,
      numUses: user.token_num_uses,
      ttlSeconds: ttl,
      // The token store enforces one ceiling on renewal; the user's max TTL is that ceiling.
      explicitMaxTtlSeconds: ceiling,
      periodSeconds: user.token_period,
      renewable: true,
      boundCidrs: user.token_bound_cidrs,
      type: loginTokenType(user),
      ...(entity === undefined ? {} : { entityId: entity.id }),
    });
    return { auth: authResponse(id, entry) };
  };

  return new PathTable(
    [
      {
        pattern: 'users/?',
        operations: {
          list: async () => {
            const keys = (await storage.list(USER_PREFIX)).filter((k) => !k.endsWith('/'));
            if (keys.length === 0) throw notFound();
            return { data: { keys } };
          },
        },
      },
      {
        pattern: `users/${USERNAME}`,
        fields: userFields,
        exists: async (ctx) => (await readUser(nameOf(ctx))) !== undefined,
        operations: {
          read: async (ctx) => {
            const user = await readUser(nameOf(ctx));
            if (user === undefined) throw notFound();
            return { data: userView(user) };
          },
          update: async (ctx) => {
            const name = nameOf(ctx);
            const existing = await readUser(name);
            if (existing === undefined && !ctx.fields.has('password')) throw invalidRequest('missing password');
            const settings: TokenSettings = existing ?? emptyTokenSettings();
            applyUserSettings(settings, ctx.fields);
            const password = ctx.fields.has('password') ? await hashPassword(requirePassword(ctx.fields)) : (existing as UserpassUser).password;
            await writeUser(name, { ...settings, password });
            return undefined;
          },
          delete: async (ctx) => {
            await storage.delete(userKey(nameOf(ctx)));
            return undefined;
          },
        },
      },
      {
        pattern: `users/${USERNAME}/password`,
        fields: { password: { type: 'string' } },
        operations: {
          update: async (ctx) => {
            const name = nameOf(ctx);
            const user = await requireUser(name);
            user.password = await hashPassword(requirePassword(ctx.fields));
            await writeUser(name, user);
            return undefined;
          },
        },
      },
      {
        pattern: `users/${USERNAME}/policies`,
        fields: { policies: { type: 'comma-list' }, token_policies: { type: 'comma-list' } },
        operations: {
          update: async (ctx) => {
            const name = nameOf(ctx);
            const user = await requireUser(name);
            const field = ['token_policies', 'policies'].find((n) => ctx.fields.has(n));
            user.token_policies = field === undefined ? [] : normalizePolicies(ctx.fields.list(field));
            await writeUser(name, user);
            return undefined;
          },
        },
      },
      {
        pattern: `login/${USERNAME}`,
        fields: { password: { type: 'string' } },
        operations: { update: login },
      },
    ],
    ['login', 'login/*'],
  );
};
