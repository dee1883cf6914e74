import { generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import {
  derBitString,
  derBoolean,
  derExplicit,
  derImplicitPrimitive,
  derObjectIdentifier,
  derOctetString,
  derPrintableString,
  derSequence,
  derSet,
  derTime,
  derUnsignedInteger,
} from './der-encoder.js';

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

const oid = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  organization: '2.5.4.10',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

/** KeyUsage bits digitalSignature (0), keyEncipherment (2), keyAgreement (4), keyCertSign (5): 1010 1100, 2 unused. */
const keyUsageBits = derBitString(Buffer.from([0xac]), 2);

/** Starts P-256 key generation (it runs on the libuv thread pool while modules load). */
export function generateServerKeys(): Promise<ServerKeys> {
  return new Promise((resolve, reject) => {
    generateKeyPair('ec', { namedCurve: 'P-256' }, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey })));
  });
}

const rdn = (type: string, value: string): Buffer => derSet(derSequence(derObjectIdentifier(type), derPrintableString(value)));
const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
  critical ? derSequence(derObjectIdentifier(id), derBoolean(true), derOctetString(value)) : derSequence(derObjectIdentifier(id), derOctetString(value));

/**
 * Issues the server certificate with go-plugin's profile: self-signed CA, O=HashiCorp, CN and SAN
 * `localhost` (Go ignores the CN; the SAN is mandatory), client+server auth, valid from 30 s ago (clock
 * skew) for 30 days, a random positive 128-bit serial. The DER is written directly (der-encoder.ts) and
 * signed with node:crypto (ECDSA with SHA-256; node's signature is already the DER form X.509 wants).
 */
export function issueServerCertificate(keys: ServerKeys): ServerCertificate {
  const name = derSequence(rdn(oid.organization, 'HashiCorp'), rdn(oid.commonName, 'localhost'));
  const serial = randomBytes(16);
  serial[0] = 0x40 | ((serial[0] ?? 0) & 0x3f); // positive, 16 bytes as a DER INTEGER
  const now = Date.now();
  const signatureAlgorithm = derSequence(derObjectIdentifier(oid.ecdsaWithSha256));
  const tbsCertificate = derSequence(
    derExplicit(0, derUnsignedInteger(Buffer.from([2]))), // v3
    derUnsignedInteger(serial),
    signatureAlgorithm,
    name,
    derSequence(derTime(new Date(now - 30_000)), derTime(new Date(now + 30 * 24 * 3600_000))),
    name,
    keys.publicKey.export({ type: 'spki', format: 'der' }),
    derExplicit(
      3,
      derSequence(
        extension(oid.basicConstraints, true, derSequence(derBoolean(true))),
        extension(oid.keyUsage, true, keyUsageBits),
        extension(oid.extKeyUsage, false, derSequence(derObjectIdentifier(oid.clientAuth), derObjectIdentifier(oid.serverAuth))),
        extension(oid.subjectAltName, false, derSequence(derImplicitPrimitive(2, Buffer.from('localhost', 'latin1')))),
      ),
    ),
  );
  const der = derSequence(tbsCertificate, signatureAlgorithm, derBitString(sign('sha256', tbsCertificate, keys.privateKey)));
  const certPem = `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
  return { certPem, keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), der };
}
