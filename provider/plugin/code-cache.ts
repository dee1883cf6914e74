/**
 * The launcher's bundle loader (bundle-loader.ts) compiles the provider bundle through V8's code cache and
 * leaves a function under this key that writes the cache for the next launch. Not bundled (tsx, tests,
 * `node dist/provider/main.js`): nothing is registered and saving is a no-op.
 */
export const codeCacheHookKey = Symbol.for('ferry.provider.saveCodeCache');

/** Whether this process runs the provider bundle through bundle-loader.ts (it registers the hook first). */
export function isRunningFromBundle(): boolean {
  return typeof (globalThis as Record<symbol, unknown>)[codeCacheHookKey] === 'function';
}

/** Writes V8's code cache for the provider bundle once; failures are ignored (it is only an optimisation). */
export function saveCodeCache(): void {
  const hook = (globalThis as Record<symbol, unknown>)[codeCacheHookKey];
  if (typeof hook === 'function') (hook as () => void)();
}

/**
 * Start-up marks (name, ms since process start) the loader records before the bundle runs, under this key,
 * when FERRY_PROVIDER_TRACE_STARTUP=1; serve.ts prints them with its own.
 */
export const loaderMarksKey = Symbol.for('ferry.provider.loaderMarks');

/** The loader's marks, or none (not bundled, or not tracing). */
export function loaderMarks(): Array<[string, number]> {
  const marks = (globalThis as Record<symbol, unknown>)[loaderMarksKey];
  return Array.isArray(marks) ? (marks as Array<[string, number]>) : [];
}
