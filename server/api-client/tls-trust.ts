import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Whom the client trusts over https, as Vault's clients configure it (`VAULT_CACERT`, `VAULT_CAPATH`,
 * `VAULT_SKIP_VERIFY`, `VAULT_CLIENT_CERT`/`VAULT_CLIENT_KEY`; `ca_file`/`ca_path` of replication). With no CA
 * given, the system roots are trusted. Certificates and keys are PEM.
 */
export interface TlsTrust {
  /** CA certificates as PEM text (one or more). */
  readonly caCertPem?: string | undefined;
  /** A PEM file of CA certificates. */
  readonly caFile?: string | undefined;
  /** A directory whose files are each PEM CA certificates (subdirectories are ignored). */
  readonly caPath?: string | undefined;
  /** Accept any server certificate. For tests and first contact only. */
  readonly skipVerify?: boolean | undefined;
  /** A client certificate and its key (PEM text or files), for servers that require mutual TLS. Both or neither. */
  readonly clientCertPem?: string | undefined;
  readonly clientKeyPem?: string | undefined;
  readonly clientCertFile?: string | undefined;
  readonly clientKeyFile?: string | undefined;
}

/** The `node:tls` options a TlsTrust resolves to. */
export interface TlsOptions {
  /** Undefined: the system roots. */
  readonly ca: string[] | undefined;
  readonly rejectUnauthorized: boolean;
  readonly cert: string | undefined;
  readonly key: string | undefined;
}

/** A CA or client-certificate file could not be read, or the configuration is incomplete. Names paths, never contents. */
export class TlsTrustError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'TlsTrustError';
  }
}

/**
 * Reads the files a TlsTrust names, once, and answers the options for `https.request`. Throws TlsTrustError
 * when a file cannot be read or only half of a client certificate is given.
 */
export function loadTlsTrust(trust: TlsTrust = {}): TlsOptions {
  const ca: string[] = [];
  if (isGiven(trust.caCertPem)) ca.push(trust.caCertPem);
  if (isGiven(trust.caFile)) ca.push(readPem(trust.caFile, 'CA certificate file'));
  if (isGiven(trust.caPath)) ca.push(...readPemDirectory(trust.caPath));
  const cert = isGiven(trust.clientCertPem)
    ? trust.clientCertPem
    : isGiven(trust.clientCertFile)
      ? readPem(trust.clientCertFile, 'client certificate file')
      : undefined;
  const key = isGiven(trust.clientKeyPem) ? trust.clientKeyPem : isGiven(trust.clientKeyFile) ? readPem(trust.clientKeyFile, 'client key file') : undefined;
  if ((cert === undefined) !== (key === undefined)) {
    throw new TlsTrustError('a client certificate needs both the certificate and its key');
  }
  return { ca: ca.length > 0 ? ca : undefined, rejectUnauthorized: trust.skipVerify !== true, cert, key };
}

function isGiven(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TlsTrustError(`cannot read the ${what} ${path}: ${code ?? 'error'}`, code);
  }
}

/** Every regular file of the directory, in name order (so the trust set is the same on every run). */
function readPemDirectory(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TlsTrustError(`cannot read the CA certificate directory ${dir}: ${code ?? 'error'}`, code);
  }
  return names
    .map((name) => join(dir, name))
    .filter((path) => statSync(path, { throwIfNoEntry: false })?.isFile() === true)
    .map((path) => readPem(path, 'CA certificate file'));
}
