import { expect } from 'chai';
import { GLOBAL_FLAGS, type FlagDef } from '../../../server/cli/args.js';
import type { CliIo } from '../../../server/cli/cli-io.js';
import { COMMANDS, GROUP_SYNOPSES } from '../../../server/cli/command-table.js';
import { flagHelp } from '../../../server/cli/help-text.js';
import { runCli } from '../../../server/cli/main.js';

async function help(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const io: CliIo = {
    writeOut: (text) => void (out += text),
    writeErr: () => undefined,
    readStdin: async () => '',
    readLine: async () => '',
    readFile: async () => '',
    isStdoutTerminal: false,
  };
  const code = await runCli(argv, { io, env: { FERRY_TOKEN_FILE: '/nonexistent/token' }, homeDir: '/nonexistent' });
  return { code, out };
}

describe('cli help, generated from the command table', () => {
  for (const command of COMMANDS) {
    const words = command.path.join(' ');
    it(`"ferry ${words} -h" describes every flag of the command and the HTTP options`, async () => {
      for (const helpFlag of ['-h', '--help', '-help']) {
        const { code, out } = await help([...command.path, helpFlag]);
        expect(code, helpFlag).to.equal(0);
        expect(out).to.include(`Usage: ferry ${command.usage}`);
        expect(out).to.include(command.synopsis);
        for (const [name, def] of Object.entries({ ...command.flags, ...GLOBAL_FLAGS })) {
          expect(def.description, `-${name} has a description`).to.match(/\w{3,}/);
          expect(out, `-${name}`).to.include(flagHelp(name, def as FlagDef));
        }
      }
    });
  }

  it('lists every group in the overview and every member in the group help', async () => {
    const overview = await help(['-h']);
    for (const [group, synopsis] of Object.entries(GROUP_SYNOPSES)) {
      if (!group.includes(' ')) expect(overview.out).to.match(new RegExp(`\\n\\s+${group}\\s+${synopsis.replace(/'/g, "'")}\\n`));
      const groupHelp = await help([...group.split(' '), '-h']);
      expect(groupHelp.code).to.equal(0);
      for (const command of COMMANDS.filter((c) => c.path.join(' ').startsWith(`${group} `))) {
        expect(groupHelp.out).to.include(command.synopsis);
      }
    }
  });

  it('gives every command flag a kind-appropriate default text when it has one', () => {
    for (const command of COMMANDS) {
      for (const [name, def] of Object.entries(command.flags)) {
        if (def.kind === 'boolean' && def.defaultText !== undefined)
          expect(['true', 'false'], `${command.path.join(' ')} -${name}`).to.include(def.defaultText);
      }
    }
  });
});
