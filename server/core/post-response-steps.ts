import type { DeviceAuditBroker } from './audit/device-audit-broker.js';
import type { ExpirationManager } from './expiration/expiration-manager.js';
import type { LogicalRequest, LogicalResponse } from './logical.js';
import type { MountEntry } from './mount-table.js';
import type { ResponseWrapper } from './wrapping/response-wrapper.js';
import { wrapRequestedResponse } from './wrapping/wrap-requested-response.js';

type PostResponseStepName = 'leases' | 'wrapping' | 'audit';

/** One step applied to a backend's response before it goes back to the client. */
export interface PostResponseStep {
  readonly name: PostResponseStepName;
  run(req: LogicalRequest, mount: MountEntry, res: LogicalResponse | undefined): Promise<LogicalResponse | undefined>;
}

interface PostResponseServices {
  readonly expiration: ExpirationManager;
  readonly wrapper: ResponseWrapper;
  readonly audit: DeviceAuditBroker;
}

/**
 * The steps after a backend answered, in Vault's order (`handleRequest` registers the lease,
 * `handleCancelableRequest` then wraps and audits what the client will get):
 * 1. leases — a secret gets its lease id;
 * 2. wrapping — a response asked for with `X-Vault-Wrap-TTL` is wrapped (keeping that lease id);
 * 3. audit — the response as the client sees it (wrapped, if it was) is logged; a failure to
 *    log refuses the request (fail closed).
 * This list is the only place the order is written.
 */
export function postResponseSteps(services: PostResponseServices): readonly PostResponseStep[] {
  return [
    { name: 'leases', run: (req, mount, res) => services.expiration.registerResponse(req, mount, res) },
    { name: 'wrapping', run: (req, _mount, res) => wrapRequestedResponse(services.wrapper, req, res) },
    {
      name: 'audit',
      run: async (req, _mount, res) => {
        await services.audit.logResponse(req, res);
        return res;
      },
    },
  ];
}
