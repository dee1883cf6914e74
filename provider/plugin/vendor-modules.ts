// The third-party modules the provider needs before its handshake line, loaded through vendor.ts.
// In the provider bundle (provider-bundle-builder.ts) they are compiled in with everything else.
import * as grpc from '@grpc/grpc-js';
import * as asn1js from 'asn1js';

export { asn1js, grpc };
