import pg from 'pg';
import { WriteRefusedError } from './backend.js';

/** A failure PostgreSQL reported for one statement; the connection itself is still fine. */
export class StorageQueryError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'StorageQueryError';
  }
}

/** A write refused because this node is not (or no longer) the HA lock holder; nothing was written. */
export class NotLockHolderError extends WriteRefusedError {
  readonly code = 'ferry-not-lock-holder';
  constructor(message: string) {
    super(message);
    this.name = 'NotLockHolderError';
  }
}

/**
 * Errors as they leave the backend: the server's message and SQLSTATE only. PostgreSQL's detail
 * fields can quote row contents (keys, ciphertext), so they are dropped.
 */
export function sanitize(err: unknown): Error {
  if (err instanceof StorageQueryError) return err;
  if (err instanceof pg.DatabaseError) return new StorageQueryError(`postgresql: ${err.message} (SQLSTATE ${err.code ?? 'unknown'})`, err.code ?? '');
  if (err instanceof Error) return new Error(`postgresql: ${err.message}`);
  return new Error('postgresql: unknown error');
}
