import { emptyTokenSettings, tokenSettingsView, type TokenSettings } from '../token/token-settings.js';
import type { PasswordHash } from './password-hash.js';

/** One userpass user as stored in the mount's storage (replicated unless the mount is local). */
export interface UserpassUser extends TokenSettings {
  password: PasswordHash;
}

/** A stored user with every setting present (users stored before a setting existed get its default). */
export function userFromStorage(raw: Buffer): UserpassUser {
  return { ...emptyTokenSettings(), ...(JSON.parse(raw.toString('utf8')) as Partial<UserpassUser>) } as UserpassUser;
}

/** The read view (Vault's fields, including the deprecated aliases); the password hash is never returned. */
export function userView(user: UserpassUser): Record<string, unknown> {
  return { ...tokenSettingsView(user), ttl: user.token_ttl, max_ttl: user.token_max_ttl };
}
