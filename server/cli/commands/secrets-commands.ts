import { flag } from '../args.js';
import { callApi, EXIT_OK, type Command } from '../command.js';
import { MOUNT_ENABLE_FLAGS, MOUNT_TUNE_FLAGS, mountConfig, mountPath, parseOptionPairs } from '../mount-flags.js';
import { printMountTable } from '../mount-list.js';

/** `ferry secrets enable [options] TYPE`: POST sys/mounts/PATH. `kv-v2` is `kv` with `version=2`, as in Vault. */
export const secretsEnableCommand: Command = {
  path: ['secrets', 'enable'],
  usage: 'secrets enable [options] TYPE',
  synopsis: 'Enable a secrets engine',
  flags: {
    ...MOUNT_ENABLE_FLAGS,
    version: flag('string', 'Select the version of the engine to run (KV only: 1 or 2).'),
  },
  async run({ args, client, printer }) {
    const [given] = args.expectPositional(1) as [string];
    const type = given === 'kv-v2' ? 'kv' : given;
    const options = parseOptionPairs(args.list('options'));
    if (given === 'kv-v2') options.version = '2';
    const version = args.string('version');
    if (version !== undefined) options.version = version;
    const path = mountPath(args.string('path') ?? type);
    const body: Record<string, unknown> = { type, config: mountConfig(args), local: args.bool('local') === true };
    const description = args.string('description');
    if (description !== undefined) body.description = description;
    if (Object.keys(options).length > 0) body.options = options;
    await callApi('Error enabling', () => client.request('POST', `sys/mounts/${path}`, { body }));
    printer.out(`Success! Enabled the ${given} secrets engine at: ${path}`);
    return EXIT_OK;
  },
};

/** `ferry secrets disable PATH`: DELETE sys/mounts/PATH. */
export const secretsDisableCommand: Command = {
  path: ['secrets', 'disable'],
  usage: 'secrets disable [options] PATH',
  synopsis: 'Disable a secrets engine',
  flags: {},
  async run({ args, client, printer }) {
    const path = mountPath((args.expectPositional(1) as [string])[0]);
    await callApi(`Error disabling secrets engine at ${path}`, () => client.request('DELETE', `sys/mounts/${path}`));
    printer.out(`Success! Disabled the secrets engine (if it existed) at: ${path}`);
    return EXIT_OK;
  },
};

/** `ferry secrets list`: GET sys/mounts. */
export const secretsListCommand: Command = {
  path: ['secrets', 'list'],
  usage: 'secrets list [options]',
  synopsis: 'List enabled secrets engines',
  flags: { detailed: flag('boolean', 'Print additional columns: TTLs, replication behaviour and options.', 'false') },
  async run({ args, client, printer }) {
    args.expectPositional(0);
    const response = await callApi('Error listing secrets engines', () => client.request('GET', 'sys/mounts'));
    printMountTable(printer, response ?? {}, args.bool('detailed') === true);
    return EXIT_OK;
  },
};

/** `ferry secrets move SOURCE DESTINATION`: POST sys/remount. */
export const secretsMoveCommand: Command = {
  path: ['secrets', 'move'],
  usage: 'secrets move [options] SOURCE DESTINATION',
  synopsis: 'Move a secrets engine to a new path',
  flags: {},
  async run({ args, client, printer }) {
    const [source, destination] = (args.expectPositional(2) as [string, string]).map(mountPath) as [string, string];
    await callApi('Error moving secrets engine', () => client.request('POST', 'sys/remount', { body: { from: source, to: destination } }));
    printer.out(`Success! Finished moving secrets engine ${source} to ${destination}`);
    return EXIT_OK;
  },
};

/** `ferry secrets tune [options] PATH`: POST sys/mounts/PATH/tune. */
export const secretsTuneCommand: Command = {
  path: ['secrets', 'tune'],
  usage: 'secrets tune [options] PATH',
  synopsis: 'Tune a secrets engine configuration',
  flags: MOUNT_TUNE_FLAGS,
  async run({ args, client, printer }) {
    const path = mountPath((args.expectPositional(1) as [string])[0]);
    const body: Record<string, unknown> = { ...mountConfig(args) };
    const description = args.string('description');
    if (description !== undefined) body.description = description;
    const options = parseOptionPairs(args.list('options'));
    if (Object.keys(options).length > 0) body.options = options;
    await callApi('Error tuning secrets engine', () => client.request('POST', `sys/mounts/${path}tune`, { body }));
    printer.out(`Success! Tuned the secrets engine at: ${path}`);
    return EXIT_OK;
  },
};
