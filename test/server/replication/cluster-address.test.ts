import { expect } from 'chai';
import { parseClusterAddress, showClusterAddress } from '../../../server/replication/cluster-address.js';
import { isVaultError } from '../../../server/core/vault-error.js';

describe('cluster addresses', () => {
  it('reads host:port, [v6]:port and URLs, with 8201 as the default port', () => {
    expect(parseClusterAddress('127.0.0.1:9201')).to.deep.equal({ host: '127.0.0.1', port: 9201 });
    expect(parseClusterAddress('https://[::1]:9201')).to.deep.equal({ host: '::1', port: 9201 });
    expect(parseClusterAddress('https://primary.example')).to.deep.equal({ host: 'primary.example', port: 8201 });
    expect(showClusterAddress('::1', 9201)).to.equal('[::1]:9201');
  });

  // Fuzzer finding: a primary_cluster_addr that is no address made `new URL` throw, answered as a 500.
  for (const bad of ['http://', 'https://[zz', ':::', 'a b:1', '%']) {
    it(`refuses ${JSON.stringify(bad)} as a client error`, () => {
      let caught: unknown;
      try {
        parseClusterAddress(bad);
      } catch (err) {
        caught = err;
      }
      expect(isVaultError(caught) && caught.status).to.equal(400);
    });
  }
});
