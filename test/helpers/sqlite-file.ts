/**
 * Direct access to a SQLite storage file from tests, through a separate connection (what an
 * attacker with the file, or another process, would do): for tampering and schema checks.
 */
import sqlite3 from 'sqlite3';

/** Runs one statement on a fresh connection to `path` and returns its rows (empty for writes). */
export function querySqliteFile<T = Record<string, unknown>>(path: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, (openErr) => {
      if (openErr) return reject(openErr);
      db.configure('busyTimeout', 5000);
      db.all(sql, params, (err, rows) => db.close(() => (err ? reject(err) : resolve(rows as T[]))));
    });
  });
}
