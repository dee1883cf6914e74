import path from 'node:path';

/** node:fs/promises, loaded by the completion commands only (every other command starts without it). */
const fs = () => process.getBuiltinModule('node:fs/promises');

/** The line `-autocomplete-install` adds to a shell's rc file; its text identifies it for uninstall. */
function completionLine(shell: 'bash' | 'zsh'): string {
  return `source <(ferry completion ${shell}) # ferry completion`;
}

const RC_FILES = { bash: '.bashrc', zsh: '.zshrc' } as const;

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await fs().readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * `ferry -autocomplete-install`: adds the completion line to `~/.bashrc` and to `~/.zshrc` when that
 * file exists, once. Returns the files changed.
 */
export async function installCompletion(homeDir: string): Promise<string[]> {
  const changed: string[] = [];
  for (const shell of ['bash', 'zsh'] as const) {
    const file = path.join(homeDir, RC_FILES[shell]);
    const text = await readIfPresent(file);
    if (shell === 'zsh' && text === undefined) continue;
    if (text?.includes(completionLine(shell)) === true) continue;
    await fs().appendFile(file, `${text === undefined || text === '' || text.endsWith('\n') ? '' : '\n'}${completionLine(shell)}\n`);
    changed.push(file);
  }
  return changed;
}

/** `ferry -autocomplete-uninstall`: removes the lines `installCompletion` added. Returns the files changed. */
export async function uninstallCompletion(homeDir: string): Promise<string[]> {
  const changed: string[] = [];
  for (const shell of ['bash', 'zsh'] as const) {
    const file = path.join(homeDir, RC_FILES[shell]);
    const text = await readIfPresent(file);
    if (text === undefined || !text.includes(completionLine(shell))) continue;
    await fs().writeFile(
      file,
      text
        .split('\n')
        .filter((line) => line !== completionLine(shell))
        .join('\n'),
    );
    changed.push(file);
  }
  return changed;
}
