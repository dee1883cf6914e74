import { expect } from 'chai';
import { isInsideLateVendor, isLateVendorSpecifier } from '../../../provider/plugin/late-vendor.js';

describe('provider/plugin/late-vendor', () => {
  it('names the late packages and files inside them, and nothing that only shares a prefix', () => {
    for (const id of ['protobufjs', 'protobufjs/light.js', 'pino', '@msgpack/msgpack', '@grpc/proto-loader'])
      expect(isLateVendorSpecifier(id), id).to.equal(true);
    for (const id of ['@grpc/grpc-js', 'pino-pretty', 'protobufjs-cli', 'asn1js', './pino', 'node:fs']) expect(isLateVendorSpecifier(id), id).to.equal(false);
  });

  it("tells importers inside a late package (bundled with it) from the provider's own files", () => {
    expect(isInsideLateVendor('/repo/node_modules/protobufjs/src/root.js')).to.equal(true);
    expect(isInsideLateVendor('/repo/node_modules/@grpc/proto-loader/build/src/index.js')).to.equal(true);
    expect(isInsideLateVendor('/repo/node_modules/@grpc/grpc-js/build/src/channelz.js')).to.equal(false);
    expect(isInsideLateVendor('/repo/provider/plugin/protobuf-runtime.ts')).to.equal(false);
  });
});
