// The logging library, loaded through vendor.ts only when the provider first logs a line (deferred-log.ts).
import pino from 'pino';

export { pino };
