import 'reflect-metadata';
import { webcrypto, randomBytes, X509Certificate as NodeX509 } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

export interface PemKeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  const b64 = Buffer.from(pkcs8)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return (await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign'])) as unknown as CryptoKey;
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString('hex');
}

/**
 * The primary's private certificate authority for the replication channel: created when
 * replication is enabled, never leaves the primary; it issues the cluster listener's server
 * certificate and one client certificate per secondary id.
 */
export class ClusterCa {
  private constructor(readonly ca: PemKeyPair) {}

  static async create(clusterId: string): Promise<ClusterCa> {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=ferry-replication-ca-${clusterId}`,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + TEN_YEARS_MS),
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    });
    return new ClusterCa({ certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) });
  }

  static fromPem(ca: PemKeyPair): ClusterCa {
    return new ClusterCa(ca);
  }

  /** Server certificate for the cluster listener; SANs cover the given hosts. */
  issueServer(hosts: readonly string[]): Promise<PemKeyPair & { serial: string }> {
    return this.issue('ferry-cluster-listener', hosts, 'server');
  }

  /** Client certificate for one secondary; its CN is the secondary id. */
  issueClient(secondaryId: string): Promise<PemKeyPair & { serial: string }> {
    return this.issue(secondaryId, [], 'client');
  }

  private async issue(commonName: string, hosts: readonly string[], usage: 'server' | 'client'): Promise<PemKeyPair & { serial: string }> {
    const caCert = new x509.X509Certificate(this.ca.certPem);
    const caKey = await importKeyPem(this.ca.keyPem);
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
    const serialNumber = serial();
    const sans = hosts.map((h) => (/^[\d.]+$/.test(h) || h.includes(':') ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }));
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    ];
    if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber,
      subject: `CN=${commonName.replace(/[,=+<>#;\\"]/g, '_')}`,
      issuer: caCert.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + TEN_YEARS_MS),
      signingKey: caKey,
      publicKey: keys.publicKey,
      signingAlgorithm: ALG,
      extensions,
    });
    return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey), serial: serialNumber };
  }
}

/** The serial number (lower-case hex, no leading zeros) of a PEM or DER certificate. */
export function certificateSerial(cert: string | Buffer): string {
  return new NodeX509(cert).serialNumber.toLowerCase().replace(/^0+/, '');
}
