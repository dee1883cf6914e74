import { spawn } from 'node:child_process';
import net from 'node:net';
import { expect } from 'chai';
import { freePort } from '../helpers/test-cluster.js';

/** Runs the demo script with these port variables (others unset) and collects its output. */
async function runDemo(ports: { FERRY_PRIMARY_PORT?: string; FERRY_SECONDARY_PORT?: string }): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...ports };
  if (ports.FERRY_PRIMARY_PORT === undefined) delete env.FERRY_PRIMARY_PORT;
  if (ports.FERRY_SECONDARY_PORT === undefined) delete env.FERRY_SECONDARY_PORT;
  const child = spawn('bash', ['examples/rest/replication-demo.sh'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, output };
}

/** Listens on 127.0.0.1:port; answers `undefined` when something else already holds it (it is busy either way). */
async function holdPort(port: number): Promise<net.Server | undefined> {
  const server = net.createServer((socket) => socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n'));
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function distinctPorts(): Promise<[number, number]> {
  const primaryPort = await freePort();
  let secondaryPort = await freePort();
  while (Math.abs(secondaryPort - primaryPort) < 2) secondaryPort = await freePort();
  return [primaryPort, secondaryPort];
}

/** The README's first quick-start command: the seed walkthrough script, run to completion. */
describe('examples/rest/replication-demo.sh (npm run demo)', function () {
  this.timeout(120_000);

  it('runs the seed walkthrough with npx ferry and shows the secret on the secondary', async () => {
    const [primaryPort, secondaryPort] = await distinctPorts();
    const { code, output } = await runDemo({ FERRY_PRIMARY_PORT: String(primaryPort), FERRY_SECONDARY_PORT: String(secondaryPort) });
    expect(code, output).to.equal(0);
    expect(output).to.contain('greeting on the secondary: hello from the primary');
    expect(output).to.contain('site on the primary: dc2');
    expect(output).to.match(/state\s+stream-wals/);
    expect(output).to.match(/mode\s+primary/);
    const roots = [...output.matchAll(/^merkle_root\s+([0-9a-f]{40})$/gm)].map((m) => m[1]);
    expect(roots).to.have.length(2);
    expect(roots[0]).to.equal(roots[1]);
  });

  it('moves to free ports when the default port 8200 is taken by another server', async () => {
    const holder = await holdPort(8200);
    try {
      const { code, output } = await runDemo({});
      expect(code, output).to.equal(0);
      const moved = /port (\d+) on 127\.0\.0\.1 is already in use: using free ports (\d+) \(primary\) and (\d+) \(secondary\) instead/.exec(output);
      expect(moved, output).to.not.equal(null);
      expect(Number(moved?.[2])).to.not.equal(8200);
      expect(output).to.contain('greeting on the secondary: hello from the primary');
      // No answer from another server (the bug was a 403 from whatever held 8200); a bare substring check
      // would also hit merkle roots, cluster ids and port numbers that happen to contain "403".
      expect(output).to.not.match(/\b403\b|permission denied/);
    } finally {
      await new Promise<void>((resolve) => (holder === undefined ? resolve() : holder.close(() => resolve())));
    }
  });

  it('stops before starting anything, naming the port, when a port it was given is busy', async () => {
    const [primaryPort, secondaryPort] = await distinctPorts();
    const holder = await holdPort(secondaryPort);
    try {
      const { code, output } = await runDemo({ FERRY_PRIMARY_PORT: String(primaryPort), FERRY_SECONDARY_PORT: String(secondaryPort) });
      expect(code, output).to.equal(1);
      expect(output).to.contain(`port ${secondaryPort} on 127.0.0.1 is already in use`);
      expect(output).to.not.contain('==> primary');
      // Nothing was started: the primary's port is still free.
      const probe = await holdPort(primaryPort);
      expect(probe, 'the primary port should be free').to.not.equal(undefined);
      await new Promise<void>((resolve) => probe?.close(() => resolve()));
    } finally {
      await new Promise<void>((resolve) => (holder === undefined ? resolve() : holder.close(() => resolve())));
    }
  });
});
