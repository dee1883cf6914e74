import { generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { Vendor } from './vendor.js';

/** A one-time TLS identity for the plugin's gRPC server. */
export interface ServerCertificate {
  certPem: string;
  keyPem: string;
  /** DER bytes, sent to Terraform in the handshake line. */
  der: Buffer;
}

/** The server's P-256 key pair (node:crypto key objects). */
export interface ServerKeys {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

const ecdsaWithSha256 = '1.2.840.10045.4.3.2';
const oidOrganization = '2.5.4.10';
const oidCommonName = '2.5.4.3';
const oidBasicConstraints = '2.5.29.19';
const oidKeyUsage = '2.5.29.15';
const oidExtKeyUsage = '2.5.29.37';
const oidSubjectAltName = '2.5.29.17';
const oidClientAuth = '1.3.6.1.5.5.7.3.2';
const oidServerAuth = '1.3.6.1.5.5.7.3.1';
/** KeyUsage bits (RFC 5280 §4.2.1.3) in a named BIT STRING, first bit the most significant. */
const keyUsageBits = { digitalSignature: 0, keyEncipherment: 2, keyAgreement: 4, keyCertSign: 5 } as const;

/** Starts P-256 key generation (it runs on the libuv thread pool while modules load). */
export function generateServerKeys(): Promise<ServerKeys> {
  return new Promise((resolve, reject) => {
    generateKeyPair('ec', { namedCurve: 'P-256' }, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey })));
  });
}

/**
 * Issues the server certificate with go-plugin's profile: self-signed CA, CN and SAN `localhost` (Go
 * ignores the CN; the SAN is mandatory), client+server auth, valid from 30 s ago (clock skew). The X.509
 * structure (RFC 5280) is built from asn1js's ASN.1 types, which do the DER encoding, and signed with
 * node:crypto (ECDSA with SHA-256, DER signature as X.509 wants). asn1js has no reflection or decorators:
 * @peculiar/asn1-x509's schema classes over the same encoder cost several ms more per launch.
 */
export function issueServerCertificate(vendor: Vendor, keys: ServerKeys): ServerCertificate {
  const { asn1js: a } = vendor;
  const rdn = (type: string, value: string) =>
    new a.Set({ value: [new a.Sequence({ value: [new a.ObjectIdentifier({ value: type }), new a.PrintableString({ value })] })] });
  const name = () => new a.Sequence({ value: [rdn(oidOrganization, 'HashiCorp'), rdn(oidCommonName, 'localhost')] });
  const algorithm = () => new a.Sequence({ value: [new a.ObjectIdentifier({ value: ecdsaWithSha256 })] });
  // extnValue is an OCTET STRING holding the extension's own DER; `critical` is left out when false (DEFAULT FALSE).
  const extension = (extnID: string, critical: boolean, value: { toBER(): ArrayBuffer }) =>
    new a.Sequence({
      value: [new a.ObjectIdentifier({ value: extnID }), ...(critical ? [new a.Boolean({ value: true })] : []), new a.OctetString({ valueHex: value.toBER() })],
    });
  const serial = randomBytes(16);
  serial[0] = 0x40 | ((serial[0] ?? 0) & 0x3f); // positive and minimal as a DER INTEGER
  const now = Date.now();
  const usage = Object.values(keyUsageBits).reduce<number>((bits, bit) => bits | (0x80 >> bit), 0);
  const tbsCertificate = new a.Sequence({
    value: [
      new a.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new a.Integer({ value: 2 })] }), // [0] EXPLICIT version v3
      new a.Integer({ valueHex: serial }),
      algorithm(),
      name(), // issuer
      new a.Sequence({ value: [new a.UTCTime({ valueDate: new Date(now - 30_000) }), new a.UTCTime({ valueDate: new Date(now + 30 * 24 * 3600_000) })] }),
      name(), // subject
      a.fromBER(keys.publicKey.export({ type: 'spki', format: 'der' })).result, // SubjectPublicKeyInfo, as node:crypto encodes it
      new a.Constructed({
        idBlock: { tagClass: 3, tagNumber: 3 }, // [3] EXPLICIT extensions
        value: [
          new a.Sequence({
            value: [
              extension(oidBasicConstraints, true, new a.Sequence({ value: [new a.Boolean({ value: true })] })), // cA
              // the lowest bit set is keyCertSign (5): the two bits after it are unused (DER drops trailing zero bits)
              extension(oidKeyUsage, true, new a.BitString({ valueHex: new Uint8Array([usage]), unusedBits: 7 - keyUsageBits.keyCertSign })),
              extension(
                oidExtKeyUsage,
                false,
                new a.Sequence({ value: [new a.ObjectIdentifier({ value: oidClientAuth }), new a.ObjectIdentifier({ value: oidServerAuth })] }),
              ),
              // GeneralName dNSName: [2] IMPLICIT IA5String
              extension(
                oidSubjectAltName,
                false,
                new a.Sequence({ value: [new a.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 }, valueHex: Buffer.from('localhost', 'ascii') })] }),
              ),
            ],
          }),
        ],
      }),
    ],
  });
  const signature = sign('sha256', new Uint8Array(tbsCertificate.toBER()), keys.privateKey);
  const der = Buffer.from(new a.Sequence({ value: [tbsCertificate, algorithm(), new a.BitString({ valueHex: signature, unusedBits: 0 })] }).toBER());
  const certPem = `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
  return { certPem, keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), der };
}
