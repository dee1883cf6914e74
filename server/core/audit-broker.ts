import type { LogicalRequest, LogicalResponse } from './logical.js';

/**
 * Fans audit entries out to the enabled audit devices. With at least one device enabled, a
 * request that no device can log is refused: `logRequest`/`logResponse` throw, and the core
 * answers an error instead of the response.
 */
export interface AuditBroker {
  readonly deviceCount: number;
  logRequest(req: LogicalRequest, error?: Error): Promise<void>;
  logResponse(req: LogicalRequest, res: LogicalResponse | undefined, error?: Error): Promise<void>;
}
