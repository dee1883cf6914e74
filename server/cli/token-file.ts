import { readFile, writeFile, chmod } from 'node:fs/promises';

/** Reads the token saved by `ferry login`; `undefined` when the file is absent or empty. */
export async function readTokenFile(filePath: string): Promise<string | undefined> {
  try {
    const token = (await readFile(filePath, 'utf8')).trim();
    return token === '' ? undefined : token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Saves the token for later commands, readable by the owner only. */
export async function writeTokenFile(filePath: string, token: string): Promise<void> {
  await writeFile(filePath, token, { mode: 0o600 });
  // `mode` only applies when the file is created; tighten an existing file too.
  await chmod(filePath, 0o600);
}
