import { expect } from 'chai';
import type { BackendFactory } from '../../../server/core/core.js';
import { PathTable } from '../../../server/core/path-table.js';
import { STATUS_FOR_CODE } from '../../../server/core/vault-error.js';
import { WriteRefusedError } from '../../../server/storage/backend.js';
import { startInProcessCore, type InProcessCore } from '../../helpers/in-process-core.js';

/** A backend whose writes meet storage that refuses them, as a fenced HA node's PostgreSQL does. */
const fencedBackend: BackendFactory = () =>
  new PathTable([
    {
      pattern: 'x',
      operations: {
        update: async () => {
          throw new WriteRefusedError('the HA lock has passed to another node');
        },
        read: async () => {
          throw new Error('a plain failure');
        },
      },
    },
  ]);

describe('request handling', () => {
  let env: InProcessCore;
  before(async () => {
    env = await startInProcessCore({ backendsFor: () => ({ fenced: fencedBackend }) });
    await env.call('update', 'sys/mounts/fenced', { data: { type: 'fenced' } });
  });
  after(async () => env.core.sealCore());

  // Was a generic 500 "internal error": a node that lost the HA lock mid-request is not broken, and
  // the client's retry reaches the new active node.
  it('answers a write refused by the storage fence as 503 "no longer the active node", not 500', async () => {
    const err = await env.fails('update', 'fenced/x', 'standby', { data: { a: 1 } });
    expect(STATUS_FOR_CODE[err.code]).to.equal(503);
    expect(err.message).to.match(/no longer the active node/);
  });

  it('leaves other failures as they are', async () => {
    let caught: unknown;
    await env.call('read', 'fenced/x').catch((e: unknown) => (caught = e));
    expect((caught as Error).message).to.equal('a plain failure');
  });
});
