import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { decodeUnsealKey, type Seal } from './seal.js';
import { randomBase62, secretsEqual } from './token-id.js';
import type { TokenStore } from './token-store.js';
import { invalidRequest, VaultError } from './vault-error.js';

/** The parts of the core root token generation works with (the core passes itself). */
interface GenerateRootCore {
  readonly seal: Seal;
  readonly tokens: TokenStore;
  readonly logger: Logger;
  readonly isSealed: boolean;
}

/** Length of this cluster's root tokens (`hvs.` + 24 base62) and so of the OTP. */
export const ROOT_TOKEN_LENGTH = 28;

/** `sys/generate-root/attempt` and `update`'s view of the attempt, in Vault's field names. */
export interface GenerateRootStatus {
  started: boolean;
  nonce: string;
  progress: number;
  required: number;
  encoded_token: string;
  encoded_root_token: string;
  pgp_fingerprint: string;
  otp_length: number;
  complete: boolean;
}

interface Attempt {
  readonly nonce: string;
  readonly otp: string;
  shares: Buffer[];
}

/** XOR of two equal-length byte strings. */
export function xorBytes(a: Buffer, b: Buffer): Buffer {
  if (a.length !== b.length) throw new VaultError('internal', 'length mismatch');
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

/** Vault's root-token encoding: base64 (unpadded) of token XOR OTP. */
export function encodeRootToken(token: string, otp: string): string {
  return xorBytes(Buffer.from(token, 'utf8'), Buffer.from(otp, 'utf8')).toString('base64').replace(/=+$/, '');
}

/** The inverse of `encodeRootToken` (what `vault operator generate-root -decode` does). */
export function decodeRootToken(encoded: string, otp: string): string {
  return xorBytes(Buffer.from(encoded, 'base64'), Buffer.from(otp, 'utf8')).toString('utf8');
}

/**
 * Root token generation with the OTP flow: an attempt collects unseal key shares; at the
 * threshold they must reconstruct this cluster's root key (`seal.verifyShares`), and then a new
 * root token is returned encoded with the attempt's OTP. Wrong shares are a 400 and reset the
 * progress. One attempt at a time; the state is in memory and dropped on seal.
 */
export interface GenerateRootOptions {
  /** Mints the token an attempt yields once the shares check out (default: a new root token). */
  readonly mint?: () => Promise<string>;
  /** What the token is called in errors and logs (default "root"). */
  readonly noun?: string;
}

export class GenerateRoot {
  private attempt: Attempt | undefined;
  private readonly noun: string;

  constructor(
    private readonly core: GenerateRootCore,
    private readonly options: GenerateRootOptions = {},
  ) {
    this.noun = options.noun ?? 'root';
  }

  async status(): Promise<GenerateRootStatus> {
    return this.view(this.attempt, { encoded: '', complete: false });
  }

  /** Starts an attempt; returns the status plus the OTP the caller needs to decode the token. */
  async start(options: { otp?: string; pgpKey?: string } = {}): Promise<GenerateRootStatus & { otp: string }> {
    this.requireUnsealed();
    if (options.pgpKey) throw invalidRequest(`PGP-encrypted ${this.noun} tokens are not supported`);
    if (this.attempt !== undefined) throw invalidRequest(`${this.noun} generation already in progress`);
    let otp = options.otp ?? '';
    if (otp === '') otp = randomBase62(ROOT_TOKEN_LENGTH);
    else if (otp.length !== ROOT_TOKEN_LENGTH || !/^[0-9A-Za-z]+$/.test(otp)) throw invalidRequest(`OTP string must be ${ROOT_TOKEN_LENGTH} base62 characters`);
    this.attempt = { nonce: randomUUID(), otp, shares: [] };
    return { ...(await this.view(this.attempt, { encoded: '', complete: false })), otp };
  }

  cancel(): void {
    this.attempt = undefined;
  }

  /** Adds one unseal key share; at the threshold, verifies them and mints the root token. */
  async update(key: string, nonce: string): Promise<GenerateRootStatus> {
    this.requireUnsealed();
    const attempt = this.attempt;
    if (attempt === undefined) throw invalidRequest(`no ${this.noun} generation in progress`);
    if (nonce === '' || !secretsEqual(nonce, attempt.nonce)) throw invalidRequest('incorrect nonce');
    if (key === '') throw invalidRequest("'key' must be specified in request body as JSON");
    const share = decodeUnsealKey(key);
    if (attempt.shares.some((s) => secretsEqual(s, share))) throw invalidRequest('given key has already been provided during this generation operation');
    attempt.shares.push(share);
    const required = await this.threshold();
    if (attempt.shares.length < required) return this.view(attempt, { encoded: '', complete: false });
    const shares = attempt.shares;
    attempt.shares = [];
    if (!(await this.core.seal.verifyShares(shares))) {
      throw invalidRequest(`${this.noun} generation failed: the unseal key shares do not reconstruct the root key; progress has been reset`);
    }
    const id = await (
      this.options.mint ?? (async () => (await this.core.tokens.create({ policies: ['root'], path: 'auth/token/root', displayName: 'root' })).id)
    )();
    this.attempt = undefined;
    this.core.logger.child({ module: 'generate-root' }).warn(`${this.noun} token generated`);
    return this.view(attempt, { encoded: encodeRootToken(id, attempt.otp), complete: true });
  }

  private async view(attempt: Attempt | undefined, result: { encoded: string; complete: boolean }): Promise<GenerateRootStatus> {
    return {
      started: attempt !== undefined,
      nonce: attempt?.nonce ?? '',
      progress: result.complete ? await this.threshold() : (attempt?.shares.length ?? 0),
      required: await this.threshold(),
      encoded_token: result.encoded,
      encoded_root_token: result.encoded,
      pgp_fingerprint: '',
      otp_length: ROOT_TOKEN_LENGTH,
      complete: result.complete,
    };
  }

  private async threshold(): Promise<number> {
    return (await this.core.seal.config())?.secret_threshold ?? 0;
  }

  private requireUnsealed(): void {
    if (this.core.isSealed) throw new VaultError('sealed', 'Vault is sealed');
  }
}
