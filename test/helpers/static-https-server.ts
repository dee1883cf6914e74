/**
 * A loopback HTTPS static file server for tests that need Terraform to download over HTTPS (network mirrors
 * and registries must be https): a throwaway CA and a 127.0.0.1 certificate made with @peculiar/x509, the CA
 * written to a PEM file to hand to Terraform as SSL_CERT_FILE. Files without an extension (the registry
 * protocol's documents) and .json files are served as application/json. Every request path is recorded.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { createReadStream, existsSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export interface StaticHttpsServer {
  /** Base URL, ending in `/`. */
  url: string;
  /** PEM file of the CA that signed the server's certificate. */
  caFile: string;
  /** Paths requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
}

async function makeCertificates(): Promise<{ caPem: string; certPem: string; keyPem: string }> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 24 * 3600_000);
  const caKeys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Ferry test CA',
    notBefore,
    notAfter,
    signingAlgorithm: alg,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const leafKeys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=127.0.0.1',
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingAlgorithm: alg,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
    ],
  });
  return { caPem: ca.toString('pem') + '\n', certPem: leaf.toString('pem') + '\n', keyPem: await pkcs8Pem(leafKeys.privateKey) };
}

/** Serves `rootDir` at `https://127.0.0.1:PORT/` on a free port; the CA PEM is written to `caFile`. */
export async function startStaticHttpsServer(rootDir: string, caFile: string): Promise<StaticHttpsServer> {
  const { caPem, certPem, keyPem } = await makeCertificates();
  writeFileSync(caFile, caPem);
  const requests: string[] = [];
  const root = normalize(rootDir + sep);
  const server: Server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'https://127.0.0.1').pathname);
    requests.push(path);
    const file = normalize(join(root, path));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile() || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const ext = extname(file);
    const type = ext === '' || ext === '.json' ? 'application/json' : ext === '.zip' ? 'application/zip' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/`,
    caFile,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
