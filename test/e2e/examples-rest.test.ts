import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { freePort } from '../helpers/test-cluster.js';

/** examples/rest/curl-walkthrough.sh: the seed's steps with curl, run to completion on free loopback ports. */
describe('examples/rest/curl-walkthrough.sh', function () {
  this.timeout(120_000);

  it('activates a secondary over REST, replicates a secret to it and forwards a write back', async () => {
    const primaryPort = await freePort();
    let secondaryPort = await freePort();
    while (Math.abs(secondaryPort - primaryPort) < 2) secondaryPort = await freePort();
    const rootToken = `curl-demo-${primaryPort}`;
    const child = spawn('bash', ['examples/rest/curl-walkthrough.sh'], {
      env: { ...process.env, FERRY_PRIMARY_PORT: String(primaryPort), FERRY_SECONDARY_PORT: String(secondaryPort), FERRY_DEMO_ROOT_TOKEN: rootToken },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output).to.equal(0);
    expect(output).to.contain(`curl -X POST http://127.0.0.1:${primaryPort}/v1/sys/replication/primary/enable`);
    expect(output).to.match(/activation token in wrap_info\.token: a signed JWT of \d{3,} characters/);
    expect(output).to.contain('secondary state: stream-wals');
    expect(output).to.contain('greeting on the secondary: hello from the primary');
    expect(output).to.contain('site on the primary: dc2');
    expect(output).to.match(/^mode\s+primary$/m);
    expect(output).to.match(/^mode\s+secondary$/m);
    const clusterIds = [...output.matchAll(/^cluster_id\s+(\S+)$/gm)].map((m) => m[1]);
    expect(clusterIds).to.have.length(2);
    expect(clusterIds[0]).to.equal(clusterIds[1]);
    const roots = [...output.matchAll(/^merkle_root\s+([0-9a-f]{40})$/gm)].map((m) => m[1]);
    expect(roots).to.have.length(2);
    expect(roots[0]).to.equal(roots[1]);
    // The script never prints a secret: neither the root token nor the activation JWT.
    expect(output).to.not.contain(rootToken);
    expect(output).to.not.match(/eyJ[A-Za-z0-9_-]{10,}/);
  });
});
