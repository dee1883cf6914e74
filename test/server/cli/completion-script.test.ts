import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { COMMANDS } from '../../../server/cli/command-table.js';
import { bashCompletion } from '../../../server/cli/completion-script.js';

/** Runs the generated script in a real bash and asks it to complete `words` (the last one is being typed). */
function complete(words: string[]): string[] {
  const script = `${bashCompletion(COMMANDS)}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _ferry; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', script], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '');
}

describe('cli completion script', () => {
  it('completes top-level commands, subcommands and flags from the command table', () => {
    expect(complete(['ferry', 'se'])).to.deep.equal(['secrets', 'server']);
    expect(complete(['ferry', 'kv', 'metadata', ''])).to.deep.equal(['delete', 'get', 'put']);
    expect(complete(['ferry', 'kv', 'get', '-ver'])).to.deep.equal(['-version']);
    expect(complete(['ferry', 'kv', 'get', 'secret/a', '-mo'])).to.deep.equal(['-mount']);
    expect(complete(['ferry', 'operator', 'generate-root', '-generate'])).to.deep.equal(['-generate-otp']);
  });
});
