/** The version Ferry reports in seal-status and health (Vault-compatible API surface). */
export const FERRY_VERSION = '1.15.0+ferry.0.1.0';
