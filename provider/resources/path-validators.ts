import type { AttributePath, Diagnostics } from '../framework/diagnostics.js';
import type { Value } from '../framework/values.js';

/** Mount paths are written without slashes at either end, as Ferry reports them (minus the trailing `/`). */
export function mountPathValidator(value: Value, path: AttributePath, diagnostics: Diagnostics): void {
  if (typeof value !== 'string') return;
  if (value === '' || value.startsWith('/') || value.endsWith('/') || /\s/.test(value)) {
    diagnostics.error(
      'Invalid path',
      `"${value}" is not a valid path: give it without leading or trailing slashes and without spaces, for example "kv-local".`,
      path,
    );
  }
}

/** Names that end up in URLs (policies, secondary ids) must be non-empty and slash-free. */
export function nameValidator(value: Value, path: AttributePath, diagnostics: Diagnostics): void {
  if (typeof value !== 'string') return;
  if (value === '' || value.includes('/') || /\s/.test(value)) {
    diagnostics.error('Invalid name', `"${value}" is not a valid name: it must be non-empty, without slashes or spaces.`, path);
  }
}
