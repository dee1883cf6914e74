import { expect } from 'chai';
import { fillRandomNonce } from '../../../server/core/random-nonce.js';

describe('fillRandomNonce', () => {
  it('writes exactly the requested bytes at the offset and leaves the rest of the target alone', () => {
    const target = Buffer.alloc(20, 0xaa);
    fillRandomNonce(target, 5, 12);
    expect(target.subarray(0, 5).equals(Buffer.alloc(5, 0xaa))).to.equal(true);
    expect(target.subarray(17).equals(Buffer.alloc(3, 0xaa))).to.equal(true);
    expect(target.subarray(5, 17).equals(Buffer.alloc(12, 0xaa))).to.equal(false);
  });

  it('never hands out the same nonce twice, across many refills of its block', () => {
    const seen = new Set<string>();
    // 20,000 nonces of 12 bytes span about 60 blocks.
    for (let i = 0; i < 20_000; i++) {
      const nonce = Buffer.alloc(12);
      fillRandomNonce(nonce, 0, 12);
      seen.add(nonce.toString('hex'));
    }
    expect(seen.size).to.equal(20_000);
  });

  it('gives nonces whose bytes look uniformly random (no zeroed or repeated block reused)', () => {
    const counts = new Array<number>(256).fill(0);
    const nonce = Buffer.alloc(12);
    for (let i = 0; i < 10_000; i++) {
      fillRandomNonce(nonce, 0, 12);
      for (const byte of nonce) counts[byte] = (counts[byte] ?? 0) + 1;
    }
    // 120,000 bytes: about 469 of each value; a spent (zeroed) block handed out again would flood 0.
    for (const count of counts) expect(count).to.be.within(300, 650);
  });

  it('serves a nonce longer than its block straight from the CSPRNG', () => {
    const a = Buffer.alloc(5000);
    const b = Buffer.alloc(5000);
    fillRandomNonce(a, 0, 5000);
    fillRandomNonce(b, 0, 5000);
    expect(a.equals(b)).to.equal(false);
    expect(a.equals(Buffer.alloc(5000))).to.equal(false);
  });
});
