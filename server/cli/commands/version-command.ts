import { existsSync, readFileSync } from 'node:fs';
import { EXIT_OK, type Command } from '../command.js';

/** The version in the package.json nearest above this file (the sources or `dist/`). */
function ferryVersion(): string {
  for (let dir = new URL('./', import.meta.url); dir.pathname !== '/'; dir = new URL('../', dir)) {
    const manifest = new URL('package.json', dir);
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version ?? '0.0.0';
  }
  return '0.0.0';
}

/** `ferry version` (also `ferry -version`, `ferry --version`): `Ferry v0.1.0`. */
export const versionCommand: Command = {
  path: ['version'],
  usage: 'version',
  synopsis: 'Prints the Ferry CLI version',
  flags: {},
  async run({ args, printer }) {
    args.expectPositional(0);
    printer.out(`Ferry v${ferryVersion()}`);
    return EXIT_OK;
  },
};

/** `ferry print token`: the token the CLI would send, from the environment or the token file. */
export const printTokenCommand: Command = {
  path: ['print', 'token'],
  usage: 'print token',
  synopsis: 'Prints the token the CLI uses to authenticate',
  flags: {},
  async run({ args, printer, config }) {
    args.expectPositional(0);
    printer.out(config.token ?? '');
    return EXIT_OK;
  },
};
