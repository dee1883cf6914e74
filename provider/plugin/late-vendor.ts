/**
 * The libraries the provider needs only after its handshake line: protobufjs (message codecs, loaded right
 * after the line; grpc-js's channelz loads @grpc/proto-loader only when asked), pino (the first line
 * logged) and msgpack (values, on the first RPC that carries one). provider-bundle-builder.ts puts them in
 * a bundle of their own beside the provider bundle, with its own code cache, so a launch reads and
 * deserializes only what the handshake runs; in the provider bundle every import of one of them becomes a
 * call of the loader's hook under `lateVendorHookKey` (bundle-loader.ts), which runs that bundle once and
 * returns the package's exports. Outside the bundle (tests, dist/) nothing changes: node loads them.
 */
export const lateVendorPackages: readonly string[] = ['protobufjs', '@grpc/proto-loader', 'pino', '@msgpack/msgpack'];

/** Where bundle-loader.ts leaves the function `(id: string) => exports` of the late vendor bundle. */
export const lateVendorHookKey = Symbol.for('ferry.provider.lateVendor');

/** Whether `specifier` (as written in an import) names one of `lateVendorPackages` or a file inside one. */
export function isLateVendorSpecifier(specifier: string): boolean {
  return lateVendorPackages.some((name) => specifier === name || specifier.startsWith(`${name}/`));
}

/** Whether `file` (an importer's path) lies inside one of `lateVendorPackages`. */
export function isInsideLateVendor(file: string): boolean {
  return lateVendorPackages.some((name) => file.includes(`/node_modules/${name}/`));
}
