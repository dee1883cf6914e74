import type { JsonObject } from '../../api-client/vault-envelope.js';
import { flag } from '../args.js';
import { callApi, CommandError, EXIT_OK, EXIT_REMOTE_ERROR, type Command } from '../command.js';
import { formatValue, type Printer, type TableRow } from '../output.js';
import { UsageError } from '../usage-error.js';

function statusRows(status: JsonObject): TableRow[] {
  const rows: TableRow[] = [
    ['Nonce', formatValue(status.nonce ?? '')],
    ['Started', formatValue(status.started ?? false)],
    ['Rekey Progress', `${formatValue(status.progress ?? 0)}/${formatValue(status.required ?? 0)}`],
    ['New Shares', formatValue(status.n ?? 0)],
    ['New Threshold', formatValue(status.t ?? 0)],
    ['Verification Required', formatValue(status.verification_required ?? false)],
  ];
  if (typeof status.verification_nonce === 'string' && status.verification_nonce !== '') rows.push(['Verification Nonce', status.verification_nonce]);
  return rows;
}

function printResult(printer: Printer, status: JsonObject): number {
  if (printer.isStructured) {
    printer.structured(status);
    return EXIT_OK;
  }
  if (status.complete !== true) {
    printer.table(statusRows(status));
    return EXIT_OK;
  }
  const keys = Array.isArray(status.keys_base64) && status.keys_base64.length > 0 ? status.keys_base64 : Array.isArray(status.keys) ? status.keys : [];
  const lines = keys.map((key, i) => `Key ${i + 1}: ${String(key)}`);
  lines.push('', `Operation nonce: ${String(status.nonce ?? '')}`, '');
  if (status.verification_required === true) {
    lines.push('The new unseal keys take effect once enough of them are given to "ferry operator rekey -verify".');
  } else {
    lines.push('Ferry unseal keys rekeyed. The server is still unsealed; the old keys no longer work.');
  }
  printer.out(lines.join('\n'));
  return EXIT_OK;
}

/**
 * `ferry operator rekey`: `-init` (with `-key-shares`, `-key-threshold`, `-backup`, `-verify`), `-status`,
 * `-cancel`, one key share (argument or stdin) with `-nonce`, `-verify` with a new share, and
 * `-backup-retrieve`/`-backup-delete`.
 */
export const operatorRekeyCommand: Command = {
  path: ['operator', 'rekey'],
  usage: 'operator rekey [options] [KEY]',
  synopsis: 'Generates new unseal keys',
  flags: {
    init: flag('boolean', 'Start a rekey; only one may be in progress.', 'false'),
    cancel: flag('boolean', 'Cancel the rekey in progress, discarding the keys entered.', 'false'),
    status: flag('boolean', 'Print the status of the rekey in progress.', 'false'),
    'key-shares': flag('string', 'Number of new key shares to generate (with -init).', '5'),
    'key-threshold': flag('string', 'Number of new key shares required to unseal (with -init).', '3'),
    nonce: flag('string', 'Nonce of the rekey, as printed by -init; read from -status when absent.'),
    backup: flag('boolean', 'Store a backup of the PGP-encrypted new keys (with -init).', 'false'),
    verify: flag('boolean', 'With -init, require the new keys be verified; otherwise give a new key to verify.', 'false'),
    'backup-retrieve': flag('boolean', 'Print the stored backup of the last rekey.', 'false'),
    'backup-delete': flag('boolean', 'Delete the stored backup of the last rekey.', 'false'),
  },
  async run({ args, client, printer, io }) {
    const [given] = args.expectPositional(0, 1);
    const isVerify = args.bool('verify') === true;
    if (args.bool('init') === true) {
      const count = (name: string, fallback: number): number => {
        const text = args.string(name);
        if (text === undefined) return fallback;
        if (!/^\d+$/.test(text)) throw new UsageError(`invalid value "${text}" for -${name}: expected a whole number`);
        return Number(text);
      };
      const body = {
        secret_shares: count('key-shares', 5),
        secret_threshold: count('key-threshold', 3),
        backup: args.bool('backup') === true,
        require_verification: isVerify,
      };
      const status = await callApi('Error initializing rekey', () => client.request('PUT', 'sys/rekey/init', { body }));
      return printResult(printer, status ?? {});
    }
    if (args.bool('cancel') === true) {
      await callApi('Error canceling rekey', () => client.request('DELETE', isVerify ? 'sys/rekey/verify' : 'sys/rekey/init'));
      printer.out('Success! Canceled rekeying (if it was started)');
      return EXIT_OK;
    }
    if (args.bool('status') === true) {
      const status = await callApi('Error reading rekey status', () => client.request('GET', isVerify ? 'sys/rekey/verify' : 'sys/rekey/init'));
      return printResult(printer, status ?? {});
    }
    if (args.bool('backup-retrieve') === true) {
      const secret = await callApi('Error retrieving rekey stored keys', () => client.request('GET', 'sys/rekey/backup'));
      if (secret === null) throw new CommandError('No backed-up keys found', EXIT_REMOTE_ERROR);
      return printer.secret(secret);
    }
    if (args.bool('backup-delete') === true) {
      await callApi('Error deleting rekey stored keys', () => client.request('DELETE', 'sys/rekey/backup'));
      printer.out('Success! Delete stored keys (if they existed)');
      return EXIT_OK;
    }
    const statusPath = isVerify ? 'sys/rekey/verify' : 'sys/rekey/init';
    let nonce = args.string('nonce');
    if (nonce === undefined) {
      const status = await callApi('Error reading rekey status', () => client.request('GET', statusPath));
      const current = isVerify ? status?.nonce : status?.started === true ? status.nonce : undefined;
      if (typeof current !== 'string' || current === '') throw new CommandError('No rekey is in progress; start one with -init', EXIT_REMOTE_ERROR);
      nonce = current;
    }
    const key = given === undefined || given === '-' ? await io.readLine('Unseal Key (will be hidden): ') : given;
    if (key === '') throw new UsageError('Missing unseal key: pass it as an argument or on stdin');
    const result = await callApi('Error posting unseal key', () =>
      client.request('PUT', isVerify ? 'sys/rekey/verify' : 'sys/rekey/update', { body: { key, nonce } }),
    );
    if (isVerify && result?.complete === true && !printer.isStructured) {
      printer.out(`Success! Successfully verified new keys (nonce ${String(result.nonce ?? nonce)})`);
      return EXIT_OK;
    }
    return printResult(printer, result ?? {});
  },
};
