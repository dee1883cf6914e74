import type * as VendorModules from './vendor-modules.js';

/** The third-party modules used on the startup path (gRPC, X.509, logging; protobufjs comes later, protobuf-runtime.ts). */
export type Vendor = typeof VendorModules;

/**
 * Loads the startup modules. Loading starts after key generation was kicked off, so the two overlap; in
 * the provider bundle this is a synchronous initialisation of already-compiled code.
 */
export async function loadVendor(): Promise<Vendor> {
  return await import('./vendor-modules.js');
}
