import { readTokenFile, tokenFilePath as resolveTokenFilePath } from './token-file.js';

export const DEFAULT_ADDRESS = 'http://127.0.0.1:8200';

/** Where the CLI talks to and with which token; read once from the environment, then frozen. */
export interface CliConfig {
  readonly address: string;
  /** `undefined` when no token is configured anywhere; unauthenticated endpoints still work. */
  readonly token: string | undefined;
  /** The file `ferry login` writes and later commands read (Vault's token helper). */
  readonly tokenFilePath: string;
}

/**
 * Resolves the address (`FERRY_ADDR`, then `VAULT_ADDR`, then the default) and the token
 * (`FERRY_TOKEN`, then `VAULT_TOKEN`, then the token file at `FERRY_TOKEN_FILE` or Vault's `~/.vault-token`).
 */
export async function loadCliConfig(env: Readonly<Record<string, string | undefined>>, homeDir: string): Promise<CliConfig> {
  const tokenFilePath = resolveTokenFilePath(env, homeDir);
  const token = nonEmpty(env.FERRY_TOKEN) ?? nonEmpty(env.VAULT_TOKEN) ?? (await readTokenFile(tokenFilePath));
  const address = nonEmpty(env.FERRY_ADDR) ?? nonEmpty(env.VAULT_ADDR) ?? DEFAULT_ADDRESS;
  return Object.freeze({ address, token, tokenFilePath });
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
