import { flag } from '../args.js';
import { callApi, CommandError, EXIT_OK, EXIT_REMOTE_ERROR, type Command } from '../command.js';
import { parseDurationFlag } from '../duration-flag.js';
import { UsageError } from '../usage-error.js';

/** `ferry lease lookup ID`: PUT sys/leases/lookup. */
export const leaseLookupCommand: Command = {
  path: ['lease', 'lookup'],
  usage: 'lease lookup [options] ID',
  synopsis: 'Lookup the lease of a secret',
  flags: {},
  async run({ args, client, printer }) {
    const [leaseId] = args.expectPositional(1) as [string];
    const secret = await callApi('error looking up lease id', () => client.request('PUT', 'sys/leases/lookup', { body: { lease_id: leaseId } }));
    if (secret === null) throw new CommandError('error looking up lease id: empty response', EXIT_REMOTE_ERROR);
    return printer.secret(secret);
  },
};

/** `ferry lease renew [-increment=DURATION] ID`: PUT sys/leases/renew. */
export const leaseRenewCommand: Command = {
  path: ['lease', 'renew'],
  usage: 'lease renew [options] ID',
  synopsis: 'Renew the lease of a secret',
  flags: { increment: flag('string', 'Request a specific increment for the renewal (e.g. "1h"); the server may cap it.') },
  async run({ args, client, printer }) {
    const [leaseId] = args.expectPositional(1) as [string];
    const body: Record<string, unknown> = { lease_id: leaseId };
    const increment = args.string('increment');
    if (increment !== undefined) body.increment = parseDurationFlag(increment, 'increment');
    const secret = await callApi('Error renewing', () => client.request('PUT', 'sys/leases/renew', { body }));
    if (secret === null) throw new CommandError('Error renewing: empty response', EXIT_REMOTE_ERROR);
    return printer.secret(secret);
  },
};

/** `ferry lease revoke [-prefix] [-force] ID`: sys/leases/revoke, revoke-prefix or revoke-force. */
export const leaseRevokeCommand: Command = {
  path: ['lease', 'revoke'],
  usage: 'lease revoke [options] ID',
  synopsis: 'Revoke leases and secrets',
  flags: {
    prefix: flag('boolean', 'Treat the ID as a prefix and revoke every lease under it.', 'false'),
    force: flag('boolean', 'With -prefix, delete the leases even if the backend fails to revoke them.', 'false'),
    f: flag('boolean', 'Alias for -force.', 'false'),
  },
  async run({ args, client, printer }) {
    const [leaseId] = args.expectPositional(1) as [string];
    const isPrefix = args.bool('prefix') === true;
    const isForce = args.bool('force') === true || args.bool('f') === true;
    if (isForce && !isPrefix) throw new UsageError('Specifying -force requires also specifying -prefix');
    if (isForce) {
      await callApi(`Error force revoking leases with prefix ${leaseId}`, () => client.request('PUT', `sys/leases/revoke-force/${leaseId}`));
      printer.out(`Success! Force revoked any leases with prefix: ${leaseId}`);
    } else if (isPrefix) {
      await callApi(`Error revoking leases with prefix ${leaseId}`, () => client.request('PUT', `sys/leases/revoke-prefix/${leaseId}`));
      printer.out(`Success! Revoked any leases with prefix: ${leaseId}`);
    } else {
      await callApi(`Error revoking lease ${leaseId}`, () => client.request('PUT', 'sys/leases/revoke', { body: { lease_id: leaseId } }));
      printer.out(`Success! Revoked lease: ${leaseId}`);
    }
    return EXIT_OK;
  },
};
