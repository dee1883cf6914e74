import { callApi, CommandError, EXIT_OK, EXIT_REMOTE_ERROR, type Command } from '../command.js';
import { flag } from '../args.js';
import { parseKeyValuePairs } from '../kv-pairs.js';
import { UsageError } from '../usage-error.js';

/** `ferry read PATH`: GET, then the envelope as a table, JSON or one `-field`. */
export const readCommand: Command = {
  path: ['read'],
  usage: 'read [options] PATH',
  synopsis: 'Read data and retrieve secrets',
  flags: {},
  async run({ args, client, printer }) {
    const [path] = args.expectPositional(1) as [string];
    const secret = await callApi(`Error reading ${path}`, () => client.request('GET', path, { allowNotFound: true }));
    if (secret === null) throw new CommandError(`No value found at ${path}`, EXIT_REMOTE_ERROR);
    return printer.secret(secret);
  },
};

/** `ferry write PATH [key=value ...]`: PUT the pairs; `-f` allows an empty body. */
export const writeCommand: Command = {
  path: ['write'],
  usage: 'write [options] PATH [DATA K=V...]',
  synopsis: 'Write data, configuration, and secrets',
  flags: {
    force: flag('boolean', 'Allow the operation to continue with no key=value pairs.', 'false'),
    f: flag('boolean', 'Alias for -force.', 'false'),
  },
  async run({ args, client, printer, io }) {
    const [path, ...pairs] = args.expectPositional(1, Number.MAX_SAFE_INTEGER) as [string, ...string[]];
    const body = await parseKeyValuePairs(pairs, io);
    const isForced = args.bool('force') === true || args.bool('f') === true;
    if (Object.keys(body).length === 0 && !isForced) throw new UsageError('Must supply data or use -force');
    const secret = await callApi(`Error writing ${path}`, () => client.request('PUT', path, { body }));
    if (secret === null) {
      if (printer.field !== undefined) {
        printer.err(`Field "${printer.field}" not present in secret`);
        return 1;
      }
      printer.out(`Success! Data written to: ${path}`);
      return EXIT_OK;
    }
    return printer.secret(secret);
  },
};

/** `ferry list PATH`: `GET ?list=true`, printing `data.keys`. */
export const listCommand: Command = {
  path: ['list'],
  usage: 'list [options] PATH',
  synopsis: 'List data or secrets',
  flags: {},
  async run({ args, client, printer }) {
    const [path] = args.expectPositional(1) as [string];
    const secret = await callApi(`Error listing ${path}`, () => client.request('LIST', path, { allowNotFound: true }));
    const data = secret?.data as Record<string, unknown> | null | undefined;
    if (secret === null || data === null || data === undefined) throw new CommandError(`No value found at ${path}`, EXIT_REMOTE_ERROR);
    if (printer.field !== undefined) return printer.secret(secret);
    const keys = data.keys;
    if (!Array.isArray(keys)) throw new CommandError(`No entries found at ${path}`, EXIT_REMOTE_ERROR);
    // Like `vault list -format=json`, JSON output is the key list itself.
    if (printer.isStructured) printer.structured(keys);
    else
      printer.table(
        keys.map((key) => [String(key), ''] as const),
        ['Keys', ''],
      );
    printer.warnings(secret);
    return EXIT_OK;
  },
};

/** `ferry delete PATH`. */
export const deleteCommand: Command = {
  path: ['delete'],
  usage: 'delete [options] PATH',
  synopsis: 'Delete secrets and configuration',
  flags: {},
  async run({ args, client, printer }) {
    const [path] = args.expectPositional(1) as [string];
    const secret = await callApi(`Error deleting ${path}`, () => client.request('DELETE', path));
    if (secret !== null && printer.isStructured) return printer.secret(secret);
    printer.out(`Success! Data deleted (if it existed) at: ${path}`);
    return EXIT_OK;
  },
};
