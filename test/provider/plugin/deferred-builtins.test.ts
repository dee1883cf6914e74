import { expect } from 'chai';
import { createRequire } from 'node:module';
import { deferredBuiltins, requireWithDeferredBuiltins } from '../../../provider/plugin/deferred-builtins.js';

const nodeRequire = createRequire(import.meta.url);

/** node's require, counting what it was asked for. */
function countingRequire(): { require: (id: string) => unknown; calls: string[] } {
  const calls: string[] = [];
  return { require: (id: string) => (calls.push(id), nodeRequire(id) as unknown), calls };
}

describe('provider/plugin/deferred-builtins', () => {
  it('defers the built-ins grpc-js loads but the start-up never uses', () => {
    expect([...deferredBuiltins].sort()).to.deep.equal(['dns', 'zlib']);
  });

  it('loads a deferred built-in on first use, once, and then behaves as the module', () => {
    const { require, calls } = countingRequire();
    const bundleRequire = requireWithDeferredBuiltins(require);
    const zlib = bundleRequire('zlib') as typeof import('node:zlib');
    expect(calls).to.deep.equal([]);
    const packed = zlib.deflateSync(Buffer.from('ferry'));
    expect(calls).to.deep.equal(['zlib']);
    expect(zlib.inflateSync(packed).toString()).to.equal('ferry');
    expect(zlib.deflateSync).to.equal((nodeRequire('node:zlib') as typeof import('node:zlib')).deflateSync);
    expect('createInflate' in zlib).to.equal(true);
    expect(Object.keys(zlib)).to.include('gzip');
    expect(calls).to.deep.equal(['zlib']);
  });

  it('hands out one stand-in per built-in, whichever name requires it', () => {
    const { require, calls } = countingRequire();
    const bundleRequire = requireWithDeferredBuiltins(require);
    const dns = bundleRequire('dns');
    expect(bundleRequire('dns')).to.equal(dns);
    expect(bundleRequire('node:dns')).to.equal(dns);
    expect(typeof (dns as typeof import('node:dns')).promises.Resolver).to.equal('function');
    expect(calls).to.deep.equal(['dns']);
  });

  it('requires every other built-in right away, unchanged', () => {
    const { require, calls } = countingRequire();
    const bundleRequire = requireWithDeferredBuiltins(require);
    expect(bundleRequire('node:path')).to.equal(nodeRequire('node:path'));
    expect(bundleRequire('http2')).to.equal(nodeRequire('http2'));
    expect(calls).to.deep.equal(['node:path', 'http2']);
  });

  it('fails on first use, not before, when the module cannot be loaded', () => {
    const bundleRequire = requireWithDeferredBuiltins(nodeRequire, new Set(['no-such-builtin']));
    const stand = bundleRequire('no-such-builtin') as Record<string, unknown>;
    expect(() => stand['anything']).to.throw(/no-such-builtin/);
  });
});
