import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CliIo } from '../../../server/cli/cli-io.js';
import { runCli } from '../../../server/cli/main.js';

describe('ferry -autocomplete-install / -autocomplete-uninstall', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'ferry-completion-'));
  });
  afterEach(async () => rm(home, { recursive: true, force: true }));

  async function run(flag: string): Promise<{ code: number; out: string }> {
    let out = '';
    const io: CliIo = {
      writeOut: (text) => void (out += text),
      writeErr: (text) => void (out += text),
      readStdin: async () => '',
      readLine: async () => '',
      readFile: async () => '',
      isStdoutTerminal: false,
    };
    const code = await runCli([flag], { io, env: {}, homeDir: home });
    return { code, out };
  }

  it('adds the completion line to .bashrc (and an existing .zshrc) once, and removes it again', async () => {
    await writeFile(path.join(home, '.bashrc'), 'export A=1');
    await writeFile(path.join(home, '.zshrc'), '');
    const first = await run('-autocomplete-install');
    expect(first.code).to.equal(0);
    expect(await readFile(path.join(home, '.bashrc'), 'utf8')).to.equal('export A=1\nsource <(ferry completion bash) # ferry completion\n');
    expect(await readFile(path.join(home, '.zshrc'), 'utf8')).to.equal('source <(ferry completion zsh) # ferry completion\n');
    const again = await run('-autocomplete-install');
    expect(again.out).to.include('already installed');
    expect(await readFile(path.join(home, '.bashrc'), 'utf8')).to.equal('export A=1\nsource <(ferry completion bash) # ferry completion\n');
    const removed = await run('-autocomplete-uninstall');
    expect(removed.code).to.equal(0);
    expect(await readFile(path.join(home, '.bashrc'), 'utf8')).to.equal('export A=1\n');
    expect(await readFile(path.join(home, '.zshrc'), 'utf8')).to.equal('');
  });

  it('creates .bashrc when missing and leaves an absent .zshrc alone', async () => {
    await run('-autocomplete-install');
    expect(await readFile(path.join(home, '.bashrc'), 'utf8')).to.equal('source <(ferry completion bash) # ferry completion\n');
    expect(await readFile(path.join(home, '.zshrc'), 'utf8').catch(() => 'absent')).to.equal('absent');
  });
});
