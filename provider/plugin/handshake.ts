/** go-plugin's magic cookie for Terraform providers: a guard against running the plugin by hand. */
export const magicCookieKey = 'TF_PLUGIN_MAGIC_COOKIE';
export const magicCookieValue = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
export const coreProtocolVersion = 1;
export const appProtocolVersion = 6;

/** What the process learns from its environment at launch; read once in main.ts. */
export interface PluginEnv {
  hasMagicCookie: boolean;
  offeredProtocolVersions: ReadonlySet<number>;
  clientCertPem: string | undefined;
  socketDir: string | undefined;
  socketGroup: string | undefined;
}

export function readPluginEnv(env: NodeJS.ProcessEnv): PluginEnv {
  const versions = (env['PLUGIN_PROTOCOL_VERSIONS'] ?? '')
    .split(',')
    .map((v) => Number(v.trim()))
    .filter((v) => Number.isInteger(v) && v > 0);
  const cert = env['PLUGIN_CLIENT_CERT'];
  return Object.freeze({
    hasMagicCookie: env[magicCookieKey] === magicCookieValue,
    offeredProtocolVersions: new Set(versions),
    clientCertPem: cert !== undefined && cert.trim() !== '' ? cert : undefined,
    socketDir: env['PLUGIN_UNIX_SOCKET_DIR'] || undefined,
    socketGroup: env['PLUGIN_UNIX_SOCKET_GROUP'] || undefined,
  });
}

export const runByHandMessage =
  'This binary is a plugin for Terraform (terraform-provider-ferry). It is not meant to be run directly:\n' +
  'declare `ferry-project/ferry` in required_providers and run `terraform init` / `terraform plan`.\n' +
  'For development, `terraform-provider-ferry -debug` serves in the background and prints TF_REATTACH_PROVIDERS.\n';

export interface HandshakeLine {
  coreVersion: number;
  appVersion: number;
  network: 'unix' | 'tcp';
  address: string;
  protocol: string;
  /** DER of the server certificate, or undefined when TLS is off. */
  serverCertDer: Buffer | undefined;
}

/** Formats the single stdout line; the certificate is base64 without padding (Go's RawStdEncoding). */
export function formatHandshakeLine(network: 'unix' | 'tcp', address: string, certDer: Buffer | undefined): string {
  const cert = certDer === undefined ? '' : certDer.toString('base64').replace(/=+$/, '');
  return `${coreProtocolVersion}|${appProtocolVersion}|${network}|${address}|grpc|${cert}\n`;
}

/** Parses a handshake line as go-plugin's client does (used by tests and the benchmark). */
export function parseHandshakeLine(line: string): HandshakeLine {
  const parts = line.trim().split('|');
  if (parts.length < 5) throw new Error(`handshake line has ${parts.length} fields, want at least 5: ${line}`);
  const [core, app, network, address, protocol, cert] = parts as [string, string, string, string, string, string?];
  if (network !== 'unix' && network !== 'tcp') throw new Error(`unknown handshake network ${network}`);
  return {
    coreVersion: Number(core),
    appVersion: Number(app),
    network,
    address,
    protocol,
    serverCertDer: cert !== undefined && cert.length > 50 ? Buffer.from(cert, 'base64') : undefined,
  };
}
