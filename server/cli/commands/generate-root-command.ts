import type { JsonObject } from '../../api-client/vault-envelope.js';
import { flag } from '../args.js';
import { callApi, CommandError, EXIT_OK, EXIT_REMOTE_ERROR, type Command } from '../command.js';
import { formatValue, type Printer, type TableRow } from '../output.js';
import { UsageError } from '../usage-error.js';

/** Vault's `operator generate-root` status table; OTP only right after `-init` generated one. */
function statusRows(status: JsonObject): TableRow[] {
  const rows: TableRow[] = [
    ['Nonce', formatValue(status.nonce ?? '')],
    ['Started', formatValue(status.started ?? false)],
    ['Progress', `${formatValue(status.progress ?? 0)}/${formatValue(status.required ?? 0)}`],
    ['Complete', formatValue(status.complete ?? false)],
  ];
  const encoded = status.encoded_token ?? status.encoded_root_token;
  if (typeof encoded === 'string' && encoded !== '') rows.push(['Encoded Token', encoded]);
  if (typeof status.otp === 'string' && status.otp !== '') rows.push(['OTP', status.otp]);
  if (typeof status.otp_length === 'number' && status.otp_length > 0) rows.push(['OTP Length', String(status.otp_length)]);
  return rows;
}

function printStatus(printer: Printer, status: JsonObject): number {
  if (printer.field !== undefined) {
    if (!Object.hasOwn(status, printer.field)) {
      printer.err(`Field "${printer.field}" not present in secret`);
      return 1;
    }
    printer.rawField(status[printer.field]);
  } else if (printer.isStructured) printer.structured(status);
  else printer.table(statusRows(status), null);
  return EXIT_OK;
}

/** Root tokens under `sys/generate-root`; with `-dr-token`, DR operation tokens on a DR secondary (Vault's paths). */
const rootTokenPath = 'sys/generate-root';
const drOperationTokenPath = 'sys/replication/dr/secondary/generate-operation-token';

/**
 * `ferry operator generate-root`: `-generate-otp`, `-init [-otp]`, `-status`, `-cancel`,
 * `-decode=ENCODED -otp=OTP`, or one unseal key share (argument or stdin) with `-nonce`. `-dr-token` runs
 * the same flow for a DR operation token against a DR secondary (with the primary's key shares).
 */
export const operatorGenerateRootCommand: Command = {
  path: ['operator', 'generate-root'],
  usage: 'operator generate-root [options] [KEY]',
  synopsis: 'Generates a new root token',
  flags: {
    init: flag('boolean', 'Start a root token generation attempt; only one may be in progress.', 'false'),
    cancel: flag('boolean', 'Cancel the attempt in progress, discarding the keys entered.', 'false'),
    status: flag('boolean', 'Print the status of the attempt in progress.', 'false'),
    'generate-otp': flag('boolean', 'Generate and print a one-time password to use with -init and -decode.', 'false'),
    otp: flag('string', 'One-time password: encodes the root token with -init, decodes it with -decode.'),
    decode: flag('string', 'Decode an encoded root token with -otp; "-" reads it from stdin.'),
    nonce: flag('string', 'Nonce of the attempt, as printed by -init; read from -status when absent.'),
    'dr-token': flag('boolean', "Generate a DR operation token on a DR secondary (with the primary's unseal key shares) instead of a root token.", 'false'),
  },
  async run({ args, client, printer, io }) {
    const [given] = args.expectPositional(0, 1);
    const modes = ['init', 'cancel', 'status', 'generate-otp'].filter((name) => args.bool(name) === true);
    if (args.has('decode')) modes.push('decode');
    if (modes.length > 1) throw new UsageError(`Only one of -${modes.join(', -')} may be given`);
    const isDrToken = args.bool('dr-token') === true;
    const base = isDrToken ? drOperationTokenPath : rootTokenPath;
    switch (modes[0]) {
      case 'generate-otp': {
        // The core's code (and node:crypto) is loaded by the two modes that use it, not by every CLI run.
        const [{ ROOT_TOKEN_LENGTH }, { randomBase62 }] = await Promise.all([import('../../core/generate-root.js'), import('../../core/token-id.js')]);
        let length = ROOT_TOKEN_LENGTH;
        if (isDrToken) {
          // As Vault does: a DR operation token's length is the server's to say (otp_length of the attempt).
          const status = await callApi('Error getting root generation status', () => client.request('GET', `${base}/attempt`));
          if (typeof status?.otp_length === 'number' && status.otp_length > 0) length = status.otp_length;
        }
        printer.out(randomBase62(length));
        return EXIT_OK;
      }
      case 'decode': {
        const otp = args.string('otp');
        if (otp === undefined || otp === '') throw new UsageError('Missing -otp: decoding needs the one-time password');
        let encoded = args.string('decode') ?? '';
        if (encoded === '-') encoded = (await io.readStdin()).trim();
        if (encoded === '') throw new UsageError('Missing encoded token');
        const { decodeRootToken } = await import('../../core/generate-root.js');
        const token = decodeRootToken(encoded, otp);
        if (printer.isStructured) printer.structured({ token });
        else printer.out(token);
        return EXIT_OK;
      }
      case 'init': {
        const otp = args.string('otp');
        const status = await callApi('Error initializing root generation', () =>
          client.request('PUT', `${base}/attempt`, { body: otp === undefined ? {} : { otp } }),
        );
        return printStatus(printer, status ?? {});
      }
      case 'cancel':
        await callApi('Error canceling root token generation', () => client.request('DELETE', `${base}/attempt`));
        printer.out('Success! Root token generation canceled (if it was started)');
        return EXIT_OK;
      case 'status': {
        const status = await callApi('Error getting root generation status', () => client.request('GET', `${base}/attempt`));
        return printStatus(printer, status ?? {});
      }
      default: {
        let nonce = args.string('nonce');
        if (nonce === undefined) {
          const status = await callApi('Error getting root generation status', () => client.request('GET', `${base}/attempt`));
          if (status?.started !== true) throw new CommandError('No root generation is in progress; start one with -init', EXIT_REMOTE_ERROR);
          nonce = String(status.nonce ?? '');
        }
        const key = given === undefined || given === '-' ? await io.readLine('Unseal Key (will be hidden): ') : given;
        if (key === '') throw new UsageError('Missing unseal key: pass it as an argument or on stdin');
        const status = await callApi('Error posting unseal key', () => client.request('PUT', `${base}/update`, { body: { key, nonce } }));
        return printStatus(printer, status ?? {});
      }
    }
  },
};
