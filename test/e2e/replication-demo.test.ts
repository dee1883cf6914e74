import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { freePort } from '../helpers/test-cluster.js';

/** The README's first quick-start command: the seed walkthrough script, run to completion. */
describe('examples/rest/replication-demo.sh (npm run demo)', function () {
  this.timeout(120_000);

  it('runs the seed walkthrough with npx ferry and shows the secret on the secondary', async () => {
    const primaryPort = await freePort();
    let secondaryPort = await freePort();
    while (Math.abs(secondaryPort - primaryPort) < 2) secondaryPort = await freePort();
    const child = spawn('bash', ['examples/rest/replication-demo.sh'], {
      env: { ...process.env, FERRY_PRIMARY_PORT: String(primaryPort), FERRY_SECONDARY_PORT: String(secondaryPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output).to.equal(0);
    expect(output).to.contain('greeting on the secondary: hello from the primary');
    expect(output).to.contain('site on the primary: dc2');
    expect(output).to.match(/state\s+stream-wals/);
    expect(output).to.match(/mode\s+primary/);
    const roots = [...output.matchAll(/^merkle_root\s+([0-9a-f]{40})$/gm)].map((m) => m[1]);
    expect(roots).to.have.length(2);
    expect(roots[0]).to.equal(roots[1]);
  });
});
