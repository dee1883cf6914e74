import type { JsonObject } from '../../api-client/vault-envelope.js';
import { flag } from '../args.js';
import { callApi, CommandError, EXIT_OK, EXIT_REMOTE_ERROR, type Command } from '../command.js';
import { sealStatusRows } from '../seal-status-rows.js';
import { UsageError } from '../usage-error.js';

function parseCount(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new UsageError(`invalid value "${text}" for -${flag}: expected a whole number`);
  return Number(text);
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/**
 * `ferry operator init`: PUT sys/init. Table output lists `Unseal Key N:` (base64) and
 * `Initial Root Token:`; JSON output has the shape `vault operator init -format=json` prints.
 */
export const operatorInitCommand: Command = {
  path: ['operator', 'init'],
  usage: 'operator init [options]',
  synopsis: 'Initializes a server',
  flags: {
    'key-shares': flag('string', 'Number of key shares to split the generated root key into.', '5'),
    'key-threshold': flag('string', 'Number of key shares required to reconstruct the root key.', '3'),
    n: flag('string', 'Alias for -key-shares.', '5'),
    t: flag('string', 'Alias for -key-threshold.', '3'),
  },
  async run({ args, client, printer }) {
    args.expectPositional(0);
    const shares = parseCount(args.string('key-shares') ?? args.string('n'), 'key-shares', 5);
    const threshold = parseCount(args.string('key-threshold') ?? args.string('t'), 'key-threshold', 3);
    const body = { secret_shares: shares, secret_threshold: threshold };
    const response = await callApi('Error initializing', () => client.request('PUT', 'sys/init', { body }));
    if (response === null) throw new CommandError('Error initializing: the server returned no keys', EXIT_REMOTE_ERROR);
    const keysB64 = stringList(response.keys_base64);
    const keysHex = stringList(response.keys);
    const rootToken = typeof response.root_token === 'string' ? response.root_token : '';
    if (printer.isStructured) {
      printer.structured({
        unseal_keys_b64: keysB64,
        unseal_keys_hex: keysHex,
        unseal_shares: shares,
        unseal_threshold: threshold,
        recovery_keys_b64: [],
        recovery_keys_hex: [],
        recovery_keys_shares: 0,
        recovery_keys_threshold: 0,
        root_token: rootToken,
      });
      return EXIT_OK;
    }
    const shown = keysB64.length > 0 ? keysB64 : keysHex;
    const lines = shown.map((key, i) => `Unseal Key ${i + 1}: ${key}`);
    printer.out(
      [
        ...lines,
        '',
        `Initial Root Token: ${rootToken}`,
        '',
        `Ferry initialized with ${shares} key shares and a key threshold of ${threshold}. Please securely`,
        'distribute the key shares printed above. When the server is re-sealed,',
        `restarted, or stopped, you must supply at least ${threshold} of these keys to unseal it`,
        'before it can start servicing requests.',
        '',
        `Ferry does not store the generated root key. Without at least ${threshold} keys to`,
        'reconstruct the root key, the server will remain permanently sealed!',
      ].join('\n'),
    );
    return EXIT_OK;
  },
};

/** `ferry operator unseal [KEY]`: PUT sys/unseal; without KEY (or with `-`) the key is read from stdin. */
export const operatorUnsealCommand: Command = {
  path: ['operator', 'unseal'],
  usage: 'operator unseal [options] [KEY]',
  synopsis: 'Unseals the server',
  flags: { reset: flag('boolean', 'Discard any previously entered unseal keys for this attempt.', 'false') },
  async run({ args, client, printer, io }) {
    const [given] = args.expectPositional(0, 1);
    let body: JsonObject;
    if (args.bool('reset') === true) {
      body = { reset: true };
    } else {
      const key = given === undefined || given === '-' ? await io.readLine('Unseal Key (will be hidden): ') : given;
      if (key === '') throw new UsageError('Missing unseal key: pass it as an argument or on stdin');
      body = { key };
    }
    const status = await callApi('Error unsealing', () => client.request('PUT', 'sys/unseal', { body }));
    if (status === null) return EXIT_OK;
    if (printer.isStructured) printer.structured(status);
    else printer.table(sealStatusRows(status));
    return EXIT_OK;
  },
};

/** `ferry operator seal`: PUT sys/seal. */
export const operatorSealCommand: Command = {
  path: ['operator', 'seal'],
  usage: 'operator seal [options]',
  synopsis: 'Seals the server',
  flags: {},
  async run({ args, client, printer }) {
    args.expectPositional(0);
    await callApi('Error sealing', () => client.request('PUT', 'sys/seal'));
    printer.out('Success! Ferry is sealed.');
    return EXIT_OK;
  },
};

/** `ferry operator rotate`: PUT sys/rotate, then shows the new key term from sys/key-status when served. */
export const operatorRotateCommand: Command = {
  path: ['operator', 'rotate'],
  usage: 'operator rotate [options]',
  synopsis: 'Rotates the underlying encryption key',
  flags: {},
  async run({ args, client, printer }) {
    args.expectPositional(0);
    await callApi('Error rotating key', () => client.request('PUT', 'sys/rotate'));
    let keyStatus: JsonObject | null = null;
    try {
      keyStatus = await client.request('GET', 'sys/key-status');
    } catch {
      // The rotation succeeded; key-status is informational only.
    }
    if (printer.isStructured) {
      printer.structured(keyStatus ?? {});
      return EXIT_OK;
    }
    const data = (keyStatus?.data ?? keyStatus ?? {}) as JsonObject;
    printer.out('Success! Rotated key');
    if (data.term !== undefined) {
      printer.out('');
      printer.table(
        [
          ['Key Term', String(data.term)],
          ['Install Time', String(data.install_time ?? '')],
        ],
        null,
      );
    }
    return EXIT_OK;
  },
};
