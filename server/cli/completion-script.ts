import { GLOBAL_FLAGS } from './args.js';
import type { Command } from './command.js';

/** Words that may follow each command prefix ('' is the top level), from the command table. */
function wordTree(commands: readonly Command[]): Map<string, Set<string>> {
  const tree = new Map<string, Set<string>>([['', new Set(['server'])]]);
  for (const command of commands) {
    for (let i = 0; i < command.path.length; i++) {
      const prefix = command.path.slice(0, i).join(' ');
      const words = tree.get(prefix) ?? new Set<string>();
      words.add(command.path[i] as string);
      tree.set(prefix, words);
    }
  }
  return tree;
}

function flagsOf(command: Command): string {
  return [...Object.keys(command.flags), ...Object.keys(GLOBAL_FLAGS)].map((name) => `-${name}`).join(' ');
}

/** A bash completion script for `ferry`: subcommand words, then each command's flags. */
export function bashCompletion(commands: readonly Command[]): string {
  const cases: string[] = [];
  for (const [prefix, words] of wordTree(commands)) cases.push(`    "${prefix}") words="${[...words].sort().join(' ')}" ;;`);
  for (const command of commands) cases.push(`    "${command.path.join(' ')}") words="${flagsOf(command)}" ;;`);
  return [
    '# ferry bash completion, generated from the command table: source <(ferry completion bash)',
    '_ferry() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prefix="" words="" i',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    case "${COMP_WORDS[i]}" in -*) ;; *) prefix="${prefix:+$prefix }${COMP_WORDS[i]}" ;; esac',
    '  done',
    '  while :; do',
    '    case "$prefix" in',
    ...cases,
    '    *) if [[ "$prefix" == *" "* ]]; then prefix="${prefix% *}"; continue; fi; words="" ;;',
    '    esac',
    '    break',
    '  done',
    '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    '}',
    'complete -F _ferry ferry',
    '',
  ].join('\n');
}

/** A zsh completion script: bash's, through zsh's bashcompinit. */
export function zshCompletion(commands: readonly Command[]): string {
  return [
    '#compdef ferry',
    '# ferry zsh completion: source <(ferry completion zsh)',
    'autoload -U +X bashcompinit && bashcompinit',
    bashCompletion(commands),
  ].join('\n');
}
