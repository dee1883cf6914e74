import { webcrypto } from 'node:crypto';
import type { Vendor } from './vendor.js';

type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** A one-time TLS identity for the plugin's gRPC server. */
export interface ServerCertificate {
  certPem: string;
  keyPem: string;
  /** DER bytes, sent to Terraform in the handshake line. */
  der: Buffer;
}

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** Starts P-256 key generation (it runs on the libuv thread pool while modules load). */
export function generateServerKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

/**
 * Issues the server certificate with go-plugin's profile: self-signed CA, CN and SAN `localhost` (Go
 * ignores the CN; the SAN is mandatory), client+server auth, valid from 30 s ago (clock skew).
 */
export async function issueServerCertificate(vendor: Vendor, keys: CryptoKeyPair): Promise<ServerCertificate> {
  const { x509 } = vendor;
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const serial = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)));
  serial[0] = 0x40 | ((serial[0] ?? 0) & 0x3f); // positive and minimal as a DER INTEGER
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: 'O=HashiCorp, CN=localhost',
    notBefore: new Date(now - 30_000),
    notAfter: new Date(now + 30 * 24 * 3600_000),
    signingAlgorithm: algorithm,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment |
          x509.KeyUsageFlags.keyAgreement | x509.KeyUsageFlags.keyCertSign,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  return { certPem: cert.toString('pem') + '\n', keyPem, der: Buffer.from(cert.rawData) };
}
