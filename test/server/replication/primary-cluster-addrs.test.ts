import { expect } from 'chai';
import { haDisabled, type HaNode, type HaView } from '../../../server/core/ha-view.js';
import { PrimaryClusterAddrs } from '../../../server/replication/primary-cluster-addrs.js';

const SELF = 'https://10.0.0.1:8201';

function node(clusterAddress: string, isActive: boolean): HaNode {
  return { hostname: 'h', apiAddress: clusterAddress.replace(':8201', ':8200'), clusterAddress, isActive, lastEcho: null, version: 'test' };
}

/** An HA view answering `nodes` from a list the test changes (or failing, like a lost database). */
function haWith(nodes: () => HaNode[]): HaView {
  return { ...haDisabled('', SELF), isEnabled: true, isActive: () => true, nodes: async () => nodes() };
}

describe('PrimaryClusterAddrs: the nodes an HA primary names to its secondaries', () => {
  it('names nothing without HA (secondaries keep the address they were given)', () => {
    const addrs = new PrimaryClusterAddrs(() => haDisabled('', SELF), SELF);
    expect(addrs.current()).to.deep.equal([]);
  });

  it('names the active node first, then every other live node once, sorted', async () => {
    const nodes = [node('https://10.0.0.3:8201', false), node(SELF, true), node('https://10.0.0.2:8201', false), node('https://10.0.0.2:8201', false)];
    const addrs = new PrimaryClusterAddrs(() => haWith(() => nodes), SELF);
    expect(await addrs.refresh()).to.deep.equal([SELF, 'https://10.0.0.2:8201', 'https://10.0.0.3:8201']);
    expect(addrs.current()).to.deep.equal([SELF, 'https://10.0.0.2:8201', 'https://10.0.0.3:8201']);
  });

  it('before the first read, and when the HA layer cannot be read, names at least this node', async () => {
    let fail = false;
    const ha = haWith(() => {
      if (fail) throw new Error('database unreachable');
      return [node(SELF, true), node('https://10.0.0.2:8201', false)];
    });
    const addrs = new PrimaryClusterAddrs(() => ha, SELF);
    fail = true;
    expect(addrs.current()).to.deep.equal([SELF]);
    expect(await addrs.refresh()).to.deep.equal([]);
    fail = false;
    await addrs.refresh();
    fail = true;
    await addrs.refresh();
    expect(addrs.current(), 'the last view is kept').to.deep.equal([SELF, 'https://10.0.0.2:8201']);
  });
});
