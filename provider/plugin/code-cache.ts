/**
 * The launcher's bundle loader (bundle-loader.ts) compiles the provider bundle through V8's code cache and
 * leaves a function under this key that writes the cache for the next launch. Not bundled (tsx, tests,
 * `node dist/provider/main.js`): nothing is registered and saving is a no-op.
 */
export const codeCacheHookKey = Symbol.for('ferry.provider.saveCodeCache');

/** Writes V8's code cache for the provider bundle once; failures are ignored (it is only an optimisation). */
export function saveCodeCache(): void {
  const hook = (globalThis as Record<symbol, unknown>)[codeCacheHookKey];
  if (typeof hook === 'function') (hook as () => void)();
}
