import { callApi, CommandError, EXIT_REMOTE_ERROR, type Command } from '../command.js';

/** `ferry unwrap [TOKEN]`: sys/wrapping/unwrap with the wrapping token (or the CLI's own token). */
export const unwrapCommand: Command = {
  path: ['unwrap'],
  usage: 'unwrap [options] [TOKEN]',
  synopsis: 'Unwrap a wrapped secret',
  flags: {},
  async run({ args, client, printer, config }) {
    const [given] = args.expectPositional(0, 1);
    const token = given ?? config.token;
    if (token === undefined) throw new CommandError('Error unwrapping: no wrapping token given and none configured', EXIT_REMOTE_ERROR);
    const secret = await callApi('Error unwrapping', () => client.unwrap(token));
    if (secret === null) throw new CommandError('Could not find wrapped response', EXIT_REMOTE_ERROR);
    return printer.secret(secret);
  },
};
