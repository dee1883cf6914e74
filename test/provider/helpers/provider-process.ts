/**
 * Starts the provider through its launcher (provider/bin → the bundle `npm run build` writes to
 * dist/provider-bundle/, so build first) the way Terraform does — magic cookie, protocol versions, a
 * one-time client certificate — and connects a gRPC client to it over mutual TLS, exactly as go-plugin would.
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as x509 from '@peculiar/x509';
import protobuf from 'protobufjs';
import { magicCookieValue, parseHandshakeLine, type HandshakeLine } from '../../../provider/plugin/handshake.js';
import { protoDescriptorFile, providerBundleLoaderFile, providerLauncherFile } from '../../../provider/paths.js';
import { buildServiceDefinitions } from '../../../provider/protocol/grpc-services.js';

export type UnaryCall = (request: object) => Promise<any>;

export interface ProviderProcess {
  proc: ChildProcess;
  handshake: HandshakeLine;
  /** Everything the provider wrote to stdout so far. */
  stdout(): string;
  stderr(): string;
  provider: Record<string, UnaryCall>;
  controller: Record<string, UnaryCall>;
  health: Record<string, UnaryCall>;
  /** Connects again with other client credentials (for mTLS tests). */
  connectWith(credentials: grpc.ChannelCredentials): Record<string, UnaryCall>;
  clientCredentials: grpc.ChannelCredentials;
  close(): Promise<void>;
}

export interface ClientIdentity {
  certPem: string;
  keyPem: string;
}

/** A go-plugin-style client certificate (self-signed, SAN localhost). */
export async function makeClientIdentity(): Promise<ClientIdentity> {
  x509.cryptoProvider.set(webcrypto as any);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '4a',
    name: 'O=HashiCorp, CN=localhost',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3600_000),
    signingAlgorithm: alg,
    keys: keys as any,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    certPem: cert.toString('pem') + '\n',
    keyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`,
  };
}

function derToPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
}

function promisify(client: grpc.Client, methods: string[]): Record<string, UnaryCall> {
  const out: Record<string, UnaryCall> = {};
  for (const m of methods) {
    out[m] = (request) =>
      new Promise((resolve, reject) => {
        (client as any)[m](request, { deadline: Date.now() + 30_000 }, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res)));
      });
  }
  return out;
}

export async function startProviderProcess(env: Record<string, string> = {}): Promise<ProviderProcess> {
  if (!existsSync(providerBundleLoaderFile)) throw new Error(`${providerBundleLoaderFile} is missing: run npm run build first`);
  const identity = await makeClientIdentity();
  const proc = spawn(providerLauncherFile, [], {
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      TF_PLUGIN_MAGIC_COOKIE: magicCookieValue,
      PLUGIN_PROTOCOL_VERSIONS: '5,6',
      PLUGIN_CLIENT_CERT: identity.certPem,
      PLUGIN_MIN_PORT: '10000',
      PLUGIN_MAX_PORT: '25000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no handshake within 20 s; stderr: ${err}`)), 20_000);
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.slice(0, out.indexOf('\n') + 1));
      }
    });
    proc.once('exit', (code) => reject(new Error(`provider exited (${code}) before the handshake; stderr: ${err}`)));
  });
  const handshake = parseHandshakeLine(line);
  if (handshake.serverCertDer === undefined) throw new Error('handshake carries no server certificate');
  const definitions = buildServiceDefinitions(protobuf, JSON.parse(readFileSync(protoDescriptorFile, 'utf8')));
  const clientCredentials = grpc.credentials.createSsl(
    Buffer.from(derToPem(handshake.serverCertDer)),
    Buffer.from(identity.keyPem),
    Buffer.from(identity.certPem),
  );
  const clients: grpc.Client[] = [];
  const connect = (definition: grpc.ServiceDefinition, credentials: grpc.ChannelCredentials) => {
    const Ctor = grpc.makeGenericClientConstructor(definition, 'x');
    const client = new Ctor(`unix:${handshake.address}`, credentials, { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' });
    clients.push(client);
    return promisify(client, Object.keys(definition));
  };
  return {
    proc,
    handshake,
    stdout: () => out,
    stderr: () => err,
    provider: connect(definitions.provider, clientCredentials),
    controller: connect(definitions.controller, clientCredentials),
    health: connect(definitions.health, clientCredentials),
    connectWith: (credentials) => connect(definitions.provider, credentials),
    clientCredentials,
    async close() {
      for (const c of clients) c.close();
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await new Promise((r) => proc.once('exit', r));
      }
    },
  };
}
