import type * as LogModules from './log-modules.js';
import type * as VendorModules from './vendor-modules.js';

/** The third-party modules used on the startup path (gRPC, ASN.1 for the certificate; pino is loaded on the first line logged, protobufjs later, protobuf-runtime.ts). */
export type Vendor = typeof VendorModules;

/** The logging library hclog-logger.ts builds the provider's logger with. */
export type LogVendor = typeof LogModules;

/**
 * Loads the startup modules. Loading starts after key generation was kicked off, so the two overlap; in
 * the provider bundle this is a synchronous initialisation of already-compiled code.
 */
export async function loadVendor(): Promise<Vendor> {
  return await import('./vendor-modules.js');
}

/** Loads pino (about 1.5 ms to initialise), only when a line is logged. */
export async function loadLogVendor(): Promise<LogVendor> {
  return await import('./log-modules.js');
}
