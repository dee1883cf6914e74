import { expect } from 'chai';
import net from 'node:net';
import type { CliIo } from '../../../server/cli/cli-io.js';
import { findCommand, runCli } from '../../../server/cli/main.js';

function captureIo(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    writeOut: (text: string) => void (io.out += text),
    writeErr: (text: string) => void (io.err += text),
    readStdin: async () => '',
    readLine: async () => '',
    readFile: async () => '',
    isStdoutTerminal: false,
  };
  return io;
}

async function closedLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const port = await closedLoopbackPort();
  const code = await runCli(argv, {
    io,
    env: { FERRY_ADDR: `http://127.0.0.1:${port}`, FERRY_TOKEN_FILE: '/nonexistent/ferry-token', ...env },
    homeDir: '/nonexistent',
  });
  return { code, out: io.out, err: io.err };
}

describe('cli main', () => {
  it('picks the longest matching command path', () => {
    expect(findCommand(['token', 'create', '-ttl=1h'])?.command.path).to.deep.equal(['token', 'create']);
    expect(findCommand(['read', 'secret/a'])?.rest).to.deep.equal(['secret/a']);
    expect(findCommand(['token'])).to.equal(undefined);
  });

  it('prints usage and exits 127 without a command, as Vault', async () => {
    const result = await run([]);
    expect(result.code).to.equal(127);
    expect(result.err).to.include('Usage: ferry <command>');
  });

  it('prints help on stdout and exits 0 for -help', async () => {
    const result = await run(['-help']);
    expect(result.code).to.equal(0);
    expect(result.out).to.include('operator ');
    expect(result.out).to.include('kv ');
  });

  it('exits 127 for an unknown command, listing the group for a group word', async () => {
    const result = await run(['token', 'frobnicate']);
    expect(result.code).to.equal(127);
    expect(result.err).to.include('Usage: ferry token <subcommand>');
    expect(result.err).to.include('create');
    const unknown = await run(['frobnicate']);
    expect(unknown.code).to.equal(127);
    expect(unknown.err).to.include('Usage: ferry <command>');
  });

  it('prints a group help on stdout and exits 0 for -h, on stderr with 1 for the bare group', async () => {
    for (const group of [['policy'], ['operator'], ['kv', 'metadata']]) {
      for (const help of ['-h', '-help', '--help']) {
        const result = await run([...group, help]);
        expect(result.code, `${group.join(' ')} ${help}`).to.equal(0);
        expect(result.out).to.include(`Usage: ferry ${group.join(' ')} <subcommand>`);
      }
      const bare = await run(group);
      expect(bare.code).to.equal(1);
      expect(bare.err).to.include(`Usage: ferry ${group.join(' ')} <subcommand>`);
    }
  });

  it('prints the version for version, -version and --version', async () => {
    for (const argv of [['version'], ['-version'], ['--version']]) {
      const result = await run(argv);
      expect(result.code).to.equal(0);
      expect(result.out).to.match(/^Ferry v\d+\.\d+\.\d+\n$/);
    }
  });

  it('exits 1 for an unknown flag, as Vault', async () => {
    const result = await run(['kv', 'get', '-nope', 'secret/a']);
    expect(result.code).to.equal(1);
    expect(result.err).to.include('flag provided but not defined: -nope');
  });

  it('exits 1 for a missing argument with the command usage', async () => {
    const result = await run(['read']);
    expect(result.code).to.equal(1);
    expect(result.err).to.include('Not enough arguments (expected 1, got 0)');
    expect(result.err).to.include('Usage: ferry read');
  });

  it('exits 1 for an unknown output format before contacting the server', async () => {
    const result = await run(['read', '-format=xml', 'secret/a']);
    expect(result.code).to.equal(1);
    expect(result.err).to.include('Invalid output format: xml');
    expect(result.err).to.not.include('ECONNREFUSED');
  });

  it('exits 1 for a bad -wrap-ttl before contacting the server', async () => {
    const result = await run(['read', '-wrap-ttl=soon', 'secret/a']);
    expect(result.code).to.equal(1);
    expect(result.err).to.include('invalid duration for -wrap-ttl');
  });

  it('exits 2 when the server cannot be reached, without printing the token', async () => {
    const result = await run(['read', 'secret/a'], { FERRY_TOKEN: 'hvs.do-not-print' });
    expect(result.code).to.equal(2);
    expect(result.err).to.match(/^Error reading secret\/a: GET http:\/\/127\.0\.0\.1:\d+\/v1\/secret\/a: connect ECONNREFUSED/);
    expect(result.err + result.out).to.not.include('hvs.do-not-print');
  });

  it('exits 1 from status when the server cannot be asked (2 means sealed)', async () => {
    const result = await run(['status']);
    expect(result.code).to.equal(1);
    expect(result.err).to.include('Error checking seal status');
  });

  it('refuses an empty write without -f', async () => {
    const result = await run(['write', 'secret/a']);
    expect(result.code).to.equal(1);
    expect(result.err).to.include('Must supply data or use -force');
  });
});
