import { flag } from '../args.js';
import { callApi, EXIT_OK, type Command } from '../command.js';
import { MOUNT_ENABLE_FLAGS, MOUNT_TUNE_FLAGS, mountConfig, mountPath, parseOptionPairs } from '../mount-flags.js';
import { printMountTable } from '../mount-list.js';

/** `ferry auth enable [options] TYPE`: POST sys/auth/PATH. */
export const authEnableCommand: Command = {
  path: ['auth', 'enable'],
  usage: 'auth enable [options] TYPE',
  synopsis: 'Enable an auth method',
  flags: MOUNT_ENABLE_FLAGS,
  async run({ args, client, printer }) {
    const [type] = args.expectPositional(1) as [string];
    const path = mountPath(args.string('path') ?? type);
    const body: Record<string, unknown> = { type, config: mountConfig(args), local: args.bool('local') === true };
    const description = args.string('description');
    if (description !== undefined) body.description = description;
    const options = parseOptionPairs(args.list('options'));
    if (Object.keys(options).length > 0) body.options = options;
    await callApi('Error enabling auth method', () => client.request('POST', `sys/auth/${path}`, { body }));
    printer.out(`Success! Enabled ${type} auth method at: ${path}`);
    return EXIT_OK;
  },
};

/** `ferry auth disable PATH`: DELETE sys/auth/PATH. */
export const authDisableCommand: Command = {
  path: ['auth', 'disable'],
  usage: 'auth disable [options] PATH',
  synopsis: 'Disable an auth method',
  flags: {},
  async run({ args, client, printer }) {
    const path = mountPath((args.expectPositional(1) as [string])[0]);
    await callApi(`Error disabling auth method at ${path}`, () => client.request('DELETE', `sys/auth/${path}`));
    printer.out(`Success! Disabled the auth method (if it existed) at: ${path}`);
    return EXIT_OK;
  },
};

/** `ferry auth list`: GET sys/auth. */
export const authListCommand: Command = {
  path: ['auth', 'list'],
  usage: 'auth list [options]',
  synopsis: 'List enabled auth methods',
  flags: { detailed: flag('boolean', 'Print additional columns: TTLs, replication behaviour and options.', 'false') },
  async run({ args, client, printer }) {
    args.expectPositional(0);
    const response = await callApi('Error listing enabled authentications', () => client.request('GET', 'sys/auth'));
    printMountTable(printer, response ?? {}, args.bool('detailed') === true);
    return EXIT_OK;
  },
};

/** `ferry auth tune [options] PATH`: POST sys/auth/PATH/tune. */
export const authTuneCommand: Command = {
  path: ['auth', 'tune'],
  usage: 'auth tune [options] PATH',
  synopsis: 'Tune an auth method configuration',
  flags: MOUNT_TUNE_FLAGS,
  async run({ args, client, printer }) {
    const path = mountPath((args.expectPositional(1) as [string])[0]);
    const body: Record<string, unknown> = { ...mountConfig(args) };
    const description = args.string('description');
    if (description !== undefined) body.description = description;
    const options = parseOptionPairs(args.list('options'));
    if (Object.keys(options).length > 0) body.options = options;
    await callApi('Error tuning auth method', () => client.request('POST', `sys/auth/${path}tune`, { body }));
    printer.out(`Success! Tuned the auth method at: ${path}`);
    return EXIT_OK;
  },
};
