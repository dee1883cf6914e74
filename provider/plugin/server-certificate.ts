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

/** Starts P-256 key generation (it runs on the libuv thread pool while modules load). */
export function generateServerKeys(): Promise<ServerKeys> {
  return new Promise((resolve, reject) => {
    generateKeyPair('ec', { namedCurve: 'P-256' }, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey })));
  });
}

/**
 * Issues the server certificate with go-plugin's profile: self-signed CA, CN and SAN `localhost` (Go
 * ignores the CN; the SAN is mandatory), client+server auth, valid from 30 s ago (clock skew). The
 * certificate is built from @peculiar/asn1-x509's X.509 schema and signed with node:crypto (ECDSA with
 * SHA-256, DER signature as X.509 wants); @peculiar/x509 would do the same at ~3× the start-up cost.
 */
export function issueServerCertificate(vendor: Vendor, keys: ServerKeys): ServerCertificate {
  const { asn1Schema, asn1X509: x } = vendor;
  const rdn = (type: string, value: string) =>
    new x.RelativeDistinguishedName([new x.AttributeTypeAndValue({ type, value: new x.AttributeValue({ printableString: value }) })]);
  const name = new x.Name([rdn(oidOrganization, 'HashiCorp'), rdn(oidCommonName, 'localhost')]);
  const extension = (extnID: string, critical: boolean, value: object) =>
    new x.Extension({ extnID, critical, extnValue: new asn1Schema.OctetString(asn1Schema.AsnConvert.serialize(value)) });
  const serial = randomBytes(16);
  serial[0] = 0x40 | ((serial[0] ?? 0) & 0x3f); // positive and minimal as a DER INTEGER
  const now = Date.now();
  const signatureAlgorithm = new x.AlgorithmIdentifier({ algorithm: ecdsaWithSha256 });
  const tbsCertificate = new x.TBSCertificate({
    version: x.Version.v3,
    serialNumber: new Uint8Array(serial).buffer,
    signature: signatureAlgorithm,
    issuer: name,
    subject: name,
    validity: new x.Validity({ notBefore: new Date(now - 30_000), notAfter: new Date(now + 30 * 24 * 3600_000) }),
    subjectPublicKeyInfo: asn1Schema.AsnConvert.parse(keys.publicKey.export({ type: 'spki', format: 'der' }), x.SubjectPublicKeyInfo),
    extensions: new x.Extensions([
      extension(x.id_ce_basicConstraints, true, new x.BasicConstraints({ cA: true })),
      extension(
        x.id_ce_keyUsage,
        true,
        new x.KeyUsage(x.KeyUsageFlags.digitalSignature | x.KeyUsageFlags.keyEncipherment | x.KeyUsageFlags.keyAgreement | x.KeyUsageFlags.keyCertSign),
      ),
      extension(x.id_ce_extKeyUsage, false, new x.ExtendedKeyUsage([x.id_kp_clientAuth, x.id_kp_serverAuth])),
      extension(x.id_ce_subjectAltName, false, new x.SubjectAlternativeName([new x.GeneralName({ dNSName: 'localhost' })])),
    ]),
  });
  const signature = sign('sha256', Buffer.from(asn1Schema.AsnConvert.serialize(tbsCertificate)), keys.privateKey);
  const der = Buffer.from(
    asn1Schema.AsnConvert.serialize(
      new x.Certificate({
        tbsCertificate,
        signatureAlgorithm,
        signatureValue: new Uint8Array(signature).buffer,
      }),
    ),
  );
  const certPem = `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
  return { certPem, keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), der };
}
