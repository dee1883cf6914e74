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

  it('prints usage and exits 2 without a command', async () => {
    const result = await run([]);
    expect(result.code).to.equal(2);
    expect(result.err).to.include('Usage: ferry <command>');
  });

  it('prints help on stdout and exits 0 for -help', async () => {
    const result = await run(['-help']);
    expect(result.code).to.equal(0);
    expect(result.out).to.include('operator init');
  });

  it('exits 2 for an unknown command, listing the family for a group word', async () => {
    const result = await run(['token', 'frobnicate']);
    expect(result.code).to.equal(2);
    expect(result.err).to.include('Unknown command: token frobnicate');
    expect(result.err).to.include('ferry token create');
  });

  it('exits 2 for a missing argument with the command usage', async () => {
    const result = await run(['read']);
    expect(result.code).to.equal(2);
    expect(result.err).to.include('Not enough arguments (expected 1, got 0)');
    expect(result.err).to.include('Usage: ferry read');
  });

  it('exits 2 for an unknown output format before contacting the server', async () => {
    const result = await run(['read', '-format=yaml', 'secret/a']);
    expect(result.code).to.equal(2);
    expect(result.err).to.include('Invalid output format: yaml');
    expect(result.err).to.not.include('ECONNREFUSED');
  });

  it('exits 2 for a bad -wrap-ttl before contacting the server', async () => {
    const result = await run(['read', '-wrap-ttl=soon', 'secret/a']);
    expect(result.code).to.equal(2);
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
    expect(result.code).to.equal(2);
    expect(result.err).to.include('Must supply data or use -force');
  });
});
