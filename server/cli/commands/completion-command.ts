import { EXIT_OK, type Command } from '../command.js';
import { bashCompletion, zshCompletion } from '../completion-script.js';
import { UsageError } from '../usage-error.js';

/** `ferry completion bash|zsh`: prints a completion script generated from the command table. */
export const completionCommand: Command = {
  path: ['completion'],
  usage: 'completion bash|zsh',
  synopsis: 'Print a shell completion script (bash or zsh)',
  flags: {},
  async run({ args, printer, commands }) {
    const [shell] = args.expectPositional(1) as [string];
    if (shell === 'bash') printer.out(bashCompletion(commands));
    else if (shell === 'zsh') printer.out(zshCompletion(commands));
    else throw new UsageError(`Unsupported shell "${shell}": expected bash or zsh`);
    return EXIT_OK;
  },
};
