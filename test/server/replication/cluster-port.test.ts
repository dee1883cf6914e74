import { expect } from 'chai';
import http2 from 'node:http2';
import { ClusterCa, type PemKeyPair } from '../../../server/replication/cluster-ca.js';
import { SharedClusterPort, type ClusterPortTenant } from '../../../server/replication/cluster-port.js';
import { freePort } from '../../helpers/test-cluster.js';

interface Party {
  readonly ca: ClusterCa;
  readonly client: PemKeyPair;
  tenant(name: string): Promise<ClusterPortTenant>;
}

async function party(id: string): Promise<Party> {
  const ca = await ClusterCa.create(id);
  const client = await ca.issueClient(`${id}-client`);
  return {
    ca,
    client,
    tenant: async (name) => {
      const server = await ca.issueServer(['127.0.0.1', name]);
      return {
        tls: { key: server.keyPem, cert: server.certPem, ca: ca.ca.certPem },
        handle: (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(id);
        },
      };
    },
  };
}

/** Which tenant answered a client of `who` asking for `servername` (or the connection's error). */
async function ask(port: number, who: Party, servername: string | undefined, options: { trustAnyServer?: boolean } = {}): Promise<string | Error> {
  const session = http2.connect(`https://127.0.0.1:${port}`, {
    ca: who.ca.ca.certPem,
    cert: who.client.certPem,
    key: who.client.keyPem,
    minVersion: 'TLSv1.3',
    ...(servername === undefined ? {} : { servername }),
    ...(options.trustAnyServer === true ? { rejectUnauthorized: false } : {}),
  });
  try {
    return await new Promise<string | Error>((resolve) => {
      session.on('error', resolve);
      const stream = session.request({ ':path': '/' });
      let body = '';
      let status = 0;
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.on('data', (chunk: Buffer) => (body += chunk.toString()));
      stream.on('end', () => resolve(status === 0 ? new Error('no response') : body));
      stream.on('error', resolve);
      stream.on('close', () => resolve(new Error('closed')));
      stream.end();
    });
  } finally {
    session.destroy();
  }
}

describe('SharedClusterPort', function () {
  this.timeout(20_000);
  let port: number;
  let shared: SharedClusterPort;
  let replication: Party;
  let ha: Party;

  before(async () => {
    [replication, ha] = await Promise.all([party('replication'), party('ha')]);
  });
  beforeEach(async () => {
    port = await freePort();
    shared = new SharedClusterPort('127.0.0.1', port);
  });
  afterEach(async () => {
    await shared.detach(undefined);
    await shared.detach('ha.test');
  });

  it('serves the default tenant without SNI and a named tenant by its server name, each with its own CA', async () => {
    await shared.attach('ha.test', await ha.tenant('ha.test'));
    await shared.attach(undefined, await replication.tenant('replication'));
    expect(await ask(port, replication, undefined)).to.equal('replication');
    expect(await ask(port, ha, 'ha.test')).to.equal('ha');
  });

  it('refuses a client of one tenant asking for the other', async () => {
    await shared.attach(undefined, await replication.tenant('replication'));
    await shared.attach('ha.test', await ha.tenant('ha.test'));
    // The server refuses the certificate even from a client that would talk to anyone.
    const crossed = await ask(port, replication, 'ha.test', { trustAnyServer: true });
    expect(crossed instanceof Error || /client certificate not issued by this service/.test(crossed), String(crossed)).to.equal(true);
    expect(await ask(port, ha, undefined, { trustAnyServer: true })).to.be.instanceOf(Error);
  });

  it('binds while any tenant is attached and closes the port after the last one leaves', async () => {
    await shared.attach('ha.test', await ha.tenant('ha.test'));
    expect(shared.isListening).to.equal(true);
    expect(await ask(port, ha, 'ha.test')).to.equal('ha');
    await shared.attach(undefined, await replication.tenant('replication'));
    await shared.detach('ha.test');
    expect(await ask(port, replication, undefined)).to.equal('replication');
    await shared.detach(undefined);
    expect(shared.isListening).to.equal(false);
    expect(await ask(port, replication, undefined)).to.be.instanceOf(Error);
  });

  it('reports a port in use and stays unbound', async () => {
    const other = new SharedClusterPort('127.0.0.1', port);
    await other.attach(undefined, await replication.tenant('replication'));
    try {
      const failure = await shared.attach('ha.test', await ha.tenant('ha.test')).catch((err: unknown) => err);
      expect((failure as NodeJS.ErrnoException).code).to.equal('EADDRINUSE');
      expect(shared.isListening).to.equal(false);
    } finally {
      await other.detach(undefined);
    }
  });
});
