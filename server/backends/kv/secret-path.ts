import { invalidRequest } from '../../core/vault-error.js';

/**
 * Checks a secret path below a mount (no leading slash). Empty, `.` and `..` segments are refused so
 * that one secret has exactly one name: the ACL decides on the same string the storage key uses.
 * The message never repeats the path, which may itself be sensitive.
 */
export function assertSecretPath(path: string): void {
  if (path === '') throw invalidRequest('missing secret path');
  if (path.includes('\0')) throw invalidRequest('invalid secret path: NUL bytes are not allowed');
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw invalidRequest('invalid secret path: empty, "." or ".." segments are not allowed');
    }
  }
}

/**
 * The storage prefix a LIST reads: '' for the mount root, otherwise the path with one trailing slash.
 * LIST of `foo` and of `foo/` are the same request, as in Vault.
 */
export function listPrefix(path: string): string {
  if (path === '' || path === '/') return '';
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  assertSecretPath(trimmed);
  return `${trimmed}/`;
}
