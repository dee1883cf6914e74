/**
 * Node built-ins that a library in the provider bundle requires when it loads but uses only inside calls
 * the provider's start-up never makes: grpc-js's message compression (`zlib`: Terraform sends its messages
 * uncompressed, and the server only inflates a message flagged as compressed) and its DNS resolver (`dns`:
 * a plugin serves on a unix socket and opens no client channels). Each costs about 0.4 ms of a launch to
 * load; bundle-loader.ts hands the bundle a `require` that loads them on first use instead.
 */
export const deferredBuiltins: ReadonlySet<string> = new Set(['zlib', 'dns']);

/**
 * Stands in for a built-in module until it is used: the first property read (or `in`, key listing,
 * assignment) loads the real module and forwards to it from then on. Only the object's own members are
 * served (what `zlib.deflate(...)` or `dns.promises` read), which is how the bundled libraries use them.
 */
function deferredModule(load: () => object): object {
  let real: object | undefined;
  const target = (): object => (real ??= load());
  return new Proxy(Object.create(null) as object, {
    get: (_stub, key) => Reflect.get(target(), key) as unknown,
    set: (_stub, key, value) => Reflect.set(target(), key, value),
    has: (_stub, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_stub, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
      // The stub itself has no properties: a proxy may only report configurable ones it does not hold.
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
  });
}

/**
 * The `require` the bundle runs with: node's own for every built-in, except that each one named in
 * `deferred` is loaded on first use (one stand-in per name, so every `require` of it sees the same object).
 */
export function requireWithDeferredBuiltins(
  requireBuiltin: (id: string) => unknown,
  deferred: ReadonlySet<string> = deferredBuiltins,
): (id: string) => unknown {
  const stand = new Map<string, object>();
  return (id: string): unknown => {
    const name = id.startsWith('node:') ? id.slice(5) : id;
    if (!deferred.has(name)) return requireBuiltin(id);
    let module = stand.get(name);
    if (module === undefined) {
      module = deferredModule(() => requireBuiltin(id) as object);
      stand.set(name, module);
    }
    return module;
  };
}
