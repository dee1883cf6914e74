import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { ClusterCa } from '../../../server/replication/cluster-ca.js';
import { withNodeCertificate } from '../../../server/replication/node-certificate.js';
import type { PrimaryState } from '../../../server/replication/replication-state.js';

/** A primary state whose stored server certificate names `hosts`, as becomePrimary issues it. */
async function primaryNaming(hosts: string[]): Promise<PrimaryState> {
  const ca = await ClusterCa.create('cluster-under-test');
  const server = await ClusterCa.fromPem(ca.ca).issueServer(hosts);
  return {
    role: 'primary',
    clusterId: 'cluster-under-test',
    epoch: 1,
    primaryClusterAddr: `https://${hosts[0]}:8201`,
    ca: ca.ca,
    server: { certPem: server.certPem, keyPem: server.keyPem },
    secondaries: {},
  };
}

/** A real TLS handshake on loopback: the server presents `state`'s certificate, the client trusts the CA and expects `servername`. */
async function handshake(state: PrimaryState, servername: string): Promise<'ok' | string> {
  const server = tls.createServer({ key: state.server.keyPem, cert: state.server.certPem });
  server.on('secureConnection', (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername, ca: state.ca.certPem }, () => {
        socket.destroy();
        resolve('ok');
      });
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('withNodeCertificate: the server certificate an HA node serves once it is the active primary node', function () {
  this.timeout(20_000);

  it('keeps the stored certificate on a host it names (the node that enabled replication, loopback)', async () => {
    const state = await primaryNaming(['node-a.internal', '10.0.0.1', '127.0.0.1', 'localhost']);
    for (const host of ['node-a.internal', '10.0.0.1', '127.0.0.1']) expect(await withNodeCertificate(state, host), host).to.equal(state);
  });

  it('on another node, issues one for that node’s host from the same CA, which secondaries accept by name', async () => {
    const state = await primaryNaming(['node-a.internal', '127.0.0.1', 'localhost']);
    expect(await handshake(state, 'node-b.internal'), 'the stored certificate does not name node b').to.equal('ERR_TLS_CERT_ALTNAME_INVALID');
    const onB = await withNodeCertificate(state, 'node-b.internal');
    expect(onB.server.certPem).to.not.equal(state.server.certPem);
    expect(onB.ca, 'same CA, same trust for every secondary').to.deep.equal(state.ca);
    expect({ ...onB, server: state.server }, 'only the certificate differs').to.deep.equal(state);
    expect(await handshake(onB, 'node-b.internal')).to.equal('ok');
    const byIp = await withNodeCertificate(state, '10.0.0.2');
    expect(new X509Certificate(byIp.server.certPem).checkIP('10.0.0.2')).to.equal('10.0.0.2');
    expect(new X509Certificate(byIp.server.certPem).verify(new X509Certificate(state.ca.certPem).publicKey)).to.equal(true);
  });
});
