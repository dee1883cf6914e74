import { expect } from 'chai';
import { PrimaryAddressRotation } from '../../../server/replication/primary-address-rotation.js';

describe('PrimaryAddressRotation: which primary node a secondary dials', () => {
  it('starts at the configured address, then tries every known node once before wrapping', () => {
    const rotation = new PrimaryAddressRotation('https://lb:8201', ['https://a:8201', 'https://b:8201']);
    expect(rotation.all).to.deep.equal(['https://lb:8201', 'https://a:8201', 'https://b:8201']);
    expect(rotation.current).to.equal('https://lb:8201');
    expect(rotation.advance()).to.equal(false);
    expect(rotation.current).to.equal('https://a:8201');
    expect(rotation.advance()).to.equal(false);
    expect(rotation.current).to.equal('https://b:8201');
    expect(rotation.advance(), 'every candidate failed once').to.equal(true);
    expect(rotation.current).to.equal('https://lb:8201');
  });

  it('lists an address once, whether configured or named by the primary', () => {
    const rotation = new PrimaryAddressRotation('https://a:8201', ['https://a:8201', 'https://b:8201', 'https://b:8201']);
    expect(rotation.all).to.deep.equal(['https://a:8201', 'https://b:8201']);
  });

  it('with only the configured address, every failure is a full cycle', () => {
    const rotation = new PrimaryAddressRotation('https://a:8201');
    expect(rotation.advance()).to.equal(true);
    expect(rotation.current).to.equal('https://a:8201');
  });

  it('keeps dialling the current node when the primary names its nodes anew, and drops one no longer named', () => {
    const rotation = new PrimaryAddressRotation('https://a:8201', ['https://a:8201', 'https://b:8201']);
    rotation.advance();
    expect(rotation.current).to.equal('https://b:8201');
    rotation.update('https://a:8201', ['https://b:8201', 'https://c:8201']);
    expect(rotation.current).to.equal('https://b:8201');
    expect(rotation.all).to.deep.equal(['https://a:8201', 'https://b:8201', 'https://c:8201']);
    rotation.update('https://a:8201', ['https://c:8201']);
    expect(rotation.current, 'a node no longer named: start over from the first').to.equal('https://a:8201');
  });
});
