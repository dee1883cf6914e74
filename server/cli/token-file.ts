import { readFile } from 'node:fs';
import path from 'node:path';

/** Vault's token helper file: the `vault` CLI and `ferry` read and write the same one. */
const TOKEN_FILE_NAME = '.vault-token';

/** Where the token is kept: `FERRY_TOKEN_FILE` when set, else `~/.vault-token` as Vault does. */
export function tokenFilePath(env: Readonly<Record<string, string | undefined>>, homeDir: string): string {
  const override = env.FERRY_TOKEN_FILE?.trim();
  return override === undefined || override === '' ? path.join(homeDir, TOKEN_FILE_NAME) : override;
}

/** Reads the token saved by `ferry login` (or `vault login`); `undefined` when the file is absent or empty. */
export async function readTokenFile(filePath: string): Promise<string | undefined> {
  try {
    // node:fs's callback form: every command that reads the token file would otherwise load node:fs/promises
    // (and the readline and watcher modules it pulls in) for this one small file.
    const text = await new Promise<string>((resolve, reject) => readFile(filePath, 'utf8', (err, data) => (err ? reject(err) : resolve(data))));
    const token = text.trim();
    return token === '' ? undefined : token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Saves the token for later commands, readable by the owner only. */
export async function writeTokenFile(filePath: string, token: string): Promise<void> {
  const fs = process.getBuiltinModule('node:fs/promises');
  await fs.writeFile(filePath, token, { mode: 0o600 });
  // `mode` only applies when the file is created; tighten an existing file too.
  await fs.chmod(filePath, 0o600);
}
