import packageJson from '../../package.json' with { type: 'json' };

/** Ferry's own version: package.json's `version`, the one place it is kept (the provider reads it too). */
export const FERRY_RELEASE = packageJson.version;

/** The version Ferry reports in seal-status and health (Vault-compatible API surface). */
export const FERRY_VERSION = `1.15.0+ferry.${FERRY_RELEASE}`;
