// The third-party modules the provider needs before its handshake line, loaded through vendor.ts.
// In the provider bundle (provider-bundle-builder.ts) they are compiled in with everything else.
import * as grpc from '@grpc/grpc-js';
import * as asn1Schema from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';

export { asn1Schema, asn1X509, grpc };
