import type { JsonObject } from '../../api-client/vault-envelope.js';
import { callApi, CommandError, EXIT_LOCAL_ERROR, EXIT_OK, type Command } from '../command.js';
import { replicationStatusRows } from '../replication-status-rows.js';
import type { TableRow } from '../output.js';
import { sealStatusRows } from '../seal-status-rows.js';

/** Exit code of `status` for a sealed server, as Vault's (distinct from 1 = could not ask). */
export const EXIT_SEALED = 2;

/**
 * `ferry status`: seal status plus replication mode and state (with a progress bar while a
 * secondary bootstraps or Merkle-syncs). Exits 0 unsealed, 2 sealed, 1 when the server could not be asked.
 */
export const statusCommand: Command = {
  path: ['status'],
  usage: 'status [options]',
  synopsis: 'Print seal and replication status',
  flags: {},
  async run({ args, client, printer }) {
    args.expectPositional(0);
    let sealStatus: JsonObject | null;
    try {
      sealStatus = await callApi('Error checking seal status', () => client.request('GET', 'sys/seal-status'));
    } catch (err) {
      // Vault keeps 2 for "sealed", so a failed status check is a 1.
      if (err instanceof CommandError) throw new CommandError(err.message, EXIT_LOCAL_ERROR);
      throw err;
    }
    if (sealStatus === null) throw new CommandError('Error checking seal status: empty response', EXIT_LOCAL_ERROR);
    let replication: JsonObject | null = null;
    try {
      replication = await client.request('GET', 'sys/replication/status');
    } catch {
      // Replication status is optional: sealed servers and builds without replication do not serve it.
    }
    let leader: JsonObject | null = null;
    try {
      leader = await client.request('GET', 'sys/leader');
    } catch {
      // Optional as well: a sealed server may not answer it.
    }
    if (printer.isStructured) {
      const replicationData = replication === null ? undefined : (replication.data ?? replication);
      printer.structured(replicationData === undefined ? sealStatus : { ...sealStatus, replication: replicationData });
    } else {
      printer.table([...sealStatusRows(sealStatus), ...haStatusRows(leader), ...(replication === null ? [] : replicationStatusRows(replication))]);
    }
    return sealStatus.sealed === true ? EXIT_SEALED : EXIT_OK;
  },
};

/** As `vault status` prints HA: whether it is on and, when it is, this node's mode and the active's address. */
function haStatusRows(leader: JsonObject | null): TableRow[] {
  if (leader === null) return [];
  if (leader.ha_enabled !== true) return [['HA Enabled', 'false']];
  const active = typeof leader.leader_address === 'string' && leader.leader_address !== '' ? leader.leader_address : '<none>';
  return [
    ['HA Enabled', 'true'],
    ['HA Mode', leader.is_self === true ? 'active' : 'standby'],
    ['Active Node Address', active],
  ];
}
