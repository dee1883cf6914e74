import { stat } from 'node:fs/promises';
import path from 'node:path';

/** The database file created inside `path` when `path` names an existing directory. */
export const SQLITE_FILE_IN_DIRECTORY = 'ferry.db';

/** A SQLite `path` that cannot be used; the message names the path and what to do. */
export class SqlitePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlitePathError';
  }
}

/**
 * Turns the configured SQLite `path` into the database file to open, before SQLite sees it (SQLite
 * alone only says SQLITE_CANTOPEN):
 * - an existing directory (as Vault's raft `path` is) holds the database as `<dir>/ferry.db`;
 * - a file in a folder that does not exist is refused, naming the folder: it is not created, so a
 *   typo cannot start an empty server somewhere unexpected.
 */
export async function resolveSqlitePath(configured: string): Promise<string> {
  const absolute = path.resolve(configured);
  const target = await kindOf(absolute);
  if (target === 'directory') return path.join(absolute, SQLITE_FILE_IN_DIRECTORY);
  if (target === 'other') throw new SqlitePathError(`storage "sqlite": path ${JSON.stringify(configured)} is neither a file nor a directory`);
  if (target === 'file') return absolute;
  const folder = path.dirname(absolute);
  const parent = await kindOf(folder);
  if (parent === 'missing')
    throw new SqlitePathError(`storage "sqlite": the folder ${JSON.stringify(folder)} for path ${JSON.stringify(configured)} does not exist; create it first`);
  if (parent !== 'directory') throw new SqlitePathError(`storage "sqlite": ${JSON.stringify(folder)} in path ${JSON.stringify(configured)} is not a directory`);
  return absolute;
}

async function kindOf(target: string): Promise<'file' | 'directory' | 'other' | 'missing'> {
  try {
    const info = await stat(target);
    return info.isDirectory() ? 'directory' : info.isFile() ? 'file' : 'other';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw new SqlitePathError(`storage "sqlite": cannot inspect path ${JSON.stringify(target)} (${code ?? 'error'})`);
  }
}
