import { randomBytes, randomUUID } from 'node:crypto';
import type { StorageOp } from '../storage/backend.js';
import type { Core } from './core.js';
import { KeyedLock } from './keyed-lock.js';
import { encryptSharesToPgpKeys, pgpFingerprints } from './pgp-shares.js';
import { decodeUnsealKey, splitRootKey, validateSealConfig, combineShares } from './seal.js';
import { secretsEqual } from './token-id.js';
import { invalidRequest, notFound, VaultError } from './vault-error.js';

/** Where a rekey with `backup` keeps the PGP-encrypted new shares (under the barrier, replicated). */
export const REKEY_BACKUP_PATH = 'core/unseal-keys-backup';

/** `GET/PUT sys/rekey/init` and `PUT sys/rekey/update` (while in progress), in Vault's field names. */
export interface RekeyStatus {
  started: boolean;
  nonce: string;
  t: number;
  n: number;
  progress: number;
  required: number;
  pgp_fingerprints: string[] | null;
  backup: boolean;
  verification_required: boolean;
  verification_nonce?: string;
}

/** The answer of the `update` that reached the threshold: the new shares (PGP-encrypted if asked). */
export interface RekeyResult {
  complete: true;
  nonce: string;
  keys: string[];
  keys_base64: string[];
  pgp_fingerprints: string[] | null;
  backup: boolean;
  verification_required: boolean;
  verification_nonce?: string;
}

/** `sys/rekey/backup`: the encrypted shares of the last rekey with `backup`, by key fingerprint. */
export interface RekeyBackup {
  nonce: string;
  keys: Record<string, string[]>;
  keys_base64: Record<string, string[]>;
}

export interface RekeyStartOptions {
  secretShares: number;
  secretThreshold: number;
  pgpKeys: string[];
  backup: boolean;
  requireVerification: boolean;
}

interface Attempt {
  readonly nonce: string;
  /** When it started (ms since the epoch): a young attempt is cancelled only with its nonce. */
  readonly startedAtMs: number;
  readonly shares: number;
  readonly threshold: number;
  readonly pgpKeys: string[];
  readonly fingerprints: string[] | null;
  readonly backup: boolean;
  readonly requireVerification: boolean;
  /** Current unseal key shares given so far. */
  given: Buffer[];
  /** Set once the current shares were accepted and verification of the new ones is awaited. */
  verification?: Verification;
}

interface Verification {
  readonly nonce: string;
  readonly newRootKey: Buffer;
  readonly backup: RekeyBackup | undefined;
  given: Buffer[];
}

/** Age after which an attempt may be cancelled without its nonce (Vault's 10 minutes). */
const CANCEL_WITHOUT_NONCE_AFTER_MS = 10 * 60 * 1000;

/**
 * Rekeying (`sys/rekey/*`): a threshold of the current unseal key shares authorizes a new root key
 * split into a new number of shares; the keyring is re-sealed with it and the seal config replaced
 * in one transaction (the data keys stay). Shares can be encrypted to PGP keys and backed up; with
 * `require_verification` the switch happens only after a threshold of the new shares is given back.
 * The attempt lives in memory and ends on seal. The primary's keys are the cluster's: on a
 * replication secondary rekeying is refused, and a rekey on the primary reaches it through the
 * replicated keyring and stored root key.
 */
export class Rekey {
  private attempt: Attempt | undefined;
  private readonly lock = new KeyedLock();

  constructor(private readonly core: Core) {}

  async status(): Promise<RekeyStatus> {
    const attempt = this.attempt;
    const required = await this.currentThreshold();
    if (attempt === undefined) {
      return { started: false, nonce: '', t: 0, n: 0, progress: 0, required, pgp_fingerprints: null, backup: false, verification_required: false };
    }
    return {
      started: true,
      nonce: attempt.nonce,
      t: attempt.threshold,
      n: attempt.shares,
      progress: attempt.given.length,
      required,
      pgp_fingerprints: attempt.fingerprints,
      backup: attempt.backup,
      verification_required: attempt.requireVerification,
      ...(attempt.verification === undefined ? {} : { verification_nonce: attempt.verification.nonce }),
    };
  }

  start(options: RekeyStartOptions): Promise<RekeyStatus> {
    return this.lock.run('rekey', async () => {
      this.requireRekeyable();
      if (this.attempt !== undefined) throw invalidRequest('rekey already in progress');
      validateSealConfig(options.secretShares, options.secretThreshold);
      if (options.pgpKeys.length > 0 && options.pgpKeys.length !== options.secretShares) throw invalidRequest('incorrect number of PGP keys for rekey');
      if (options.backup && options.pgpKeys.length === 0)
        throw invalidRequest('cannot request a backup of the new keys without providing PGP keys for encryption');
      const fingerprints = options.pgpKeys.length > 0 ? await pgpFingerprints(options.pgpKeys) : null;
      this.attempt = {
        nonce: randomUUID(),
        startedAtMs: Date.now(),
        shares: options.secretShares,
        threshold: options.secretThreshold,
        pgpKeys: [...options.pgpKeys],
        fingerprints,
        backup: options.backup,
        requireVerification: options.requireVerification,
        given: [],
      };
      this.core.logger.child({ module: 'rekey' }).info({ shares: options.secretShares, threshold: options.secretThreshold }, 'rekey started');
      return this.status();
    });
  }

  /**
   * Cancels the attempt (also during verification: the current keys stay valid). As in Vault since
   * HCSEC-2025-11, an attempt younger than 10 minutes is cancelled only with its nonce, so an
   * unauthenticated caller cannot end an operator's rekey; a given nonce must always match. Unlike
   * Vault, a caller whose token has `sudo` on `sys/rekey/init` may cancel without it (older clients,
   * such as hvac 0.11, send no nonce); that request is authenticated and audited.
   */
  cancel(nonce: string, options: { isOperator: boolean }): void {
    const attempt = this.attempt;
    if (attempt === undefined) return;
    if (nonce !== '') {
      if (!secretsEqual(nonce, attempt.nonce)) throw invalidRequest('incorrect nonce');
    } else if (!options.isOperator && Date.now() - attempt.startedAtMs < CANCEL_WITHOUT_NONCE_AFTER_MS) {
      throw invalidRequest("'nonce' must be specified to cancel a rekey started less than 10 minutes ago");
    }
    this.wipe();
  }

  /** One current unseal key share; at the threshold, the new shares (and, without verification, the switch). */
  update(key: string, nonce: string): Promise<RekeyStatus | RekeyResult> {
    return this.lock.run('rekey', async () => {
      this.requireRekeyable();
      const attempt = this.attempt;
      if (attempt === undefined) throw invalidRequest('no rekey in progress');
      if (attempt.verification !== undefined) throw invalidRequest('rekey is awaiting verification of the new keys (sys/rekey/verify)');
      if (nonce === '') throw invalidRequest("'nonce' must be specified in request body as JSON");
      if (!secretsEqual(nonce, attempt.nonce)) throw invalidRequest(`incorrect nonce supplied; nonce for this rekey operation is ${attempt.nonce}`);
      if (key === '') throw invalidRequest("'key' must be specified in request body as JSON");
      const share = decodeUnsealKey(key);
      if (attempt.given.some((s) => secretsEqual(s, share))) throw invalidRequest('given key has already been provided during this rekey operation');
      attempt.given.push(share);
      if (attempt.given.length < (await this.currentThreshold())) return this.status();
      const given = attempt.given;
      attempt.given = [];
      if (!(await this.core.seal.verifyShares(given))) {
        throw invalidRequest('rekey failed: the unseal key shares do not reconstruct the root key; progress has been reset');
      }
      const newRootKey = randomBytes(32);
      const shares = await splitRootKey(newRootKey, attempt.shares, attempt.threshold);
      const result = await this.present(attempt, shares);
      if (attempt.requireVerification) {
        attempt.verification = { nonce: randomUUID(), newRootKey, backup: result.backup, given: [] };
        return { ...result.answer, verification_required: true, verification_nonce: attempt.verification.nonce };
      }
      await this.commit(attempt, newRootKey, result.backup);
      return result.answer;
    });
  }

  async verifyStatus(): Promise<Record<string, unknown>> {
    const verification = this.attempt?.verification;
    if (this.attempt === undefined || verification === undefined) throw invalidRequest('no rekey verification in progress');
    return { started: true, nonce: verification.nonce, t: this.attempt.threshold, n: this.attempt.shares, progress: verification.given.length };
  }

  /** Starts verification over with a new nonce (the new keys are not switched to). */
  async cancelVerify(): Promise<Record<string, unknown>> {
    const attempt = this.attempt;
    if (attempt === undefined || attempt.verification === undefined) throw invalidRequest('no rekey verification in progress');
    attempt.verification = { ...attempt.verification, nonce: randomUUID(), given: [] };
    return this.verifyStatus();
  }

  /** One new share; at the new threshold, checks them against the new root key and switches. */
  verify(key: string, nonce: string): Promise<Record<string, unknown>> {
    return this.lock.run('rekey', async () => {
      this.requireRekeyable();
      const attempt = this.attempt;
      const verification = attempt?.verification;
      if (attempt === undefined || verification === undefined) throw invalidRequest('no rekey verification in progress');
      if (nonce === '' || !secretsEqual(nonce, verification.nonce)) throw invalidRequest('incorrect nonce');
      if (key === '') throw invalidRequest("'key' must be specified in request body as JSON");
      const share = decodeUnsealKey(key);
      if (verification.given.some((s) => secretsEqual(s, share))) throw invalidRequest('given key has already been provided during this verify operation');
      verification.given.push(share);
      if (verification.given.length < attempt.threshold)
        return { nonce: verification.nonce, started: true, t: attempt.threshold, n: attempt.shares, progress: verification.given.length };
      const given = verification.given;
      verification.given = [];
      const candidate = await combineShares(given).catch(() => undefined);
      if (candidate === undefined || !secretsEqual(candidate, verification.newRootKey)) {
        throw invalidRequest('rekey verification failed: the keys are not the new unseal keys; verification progress has been reset');
      }
      await this.commit(attempt, verification.newRootKey, verification.backup);
      return { nonce: verification.nonce, complete: true };
    });
  }

  async readBackup(): Promise<RekeyBackup> {
    const raw = await this.core.barrier.get(REKEY_BACKUP_PATH);
    if (raw === undefined) throw notFound();
    return JSON.parse(raw.toString('utf8')) as RekeyBackup;
  }

  async deleteBackup(): Promise<void> {
    await this.core.barrier.delete(REKEY_BACKUP_PATH);
  }

  /** Drops the attempt and any new root key it held (on cancel and seal). */
  wipe(): void {
    this.attempt?.verification?.newRootKey.fill(0);
    this.attempt = undefined;
  }

  /** The new shares as returned to the caller, encrypted to the PGP keys when given; and the backup record. */
  private async present(attempt: Attempt, shares: Buffer[]): Promise<{ answer: RekeyResult; backup: RekeyBackup | undefined }> {
    let out = shares;
    let backup: RekeyBackup | undefined;
    if (attempt.pgpKeys.length > 0) {
      const encrypted = await encryptSharesToPgpKeys(shares, attempt.pgpKeys);
      out = encrypted.encrypted;
      if (attempt.backup) {
        backup = { nonce: attempt.nonce, keys: {}, keys_base64: {} };
        for (const [i, fingerprint] of encrypted.fingerprints.entries()) {
          const blob = encrypted.encrypted[i] as Buffer;
          (backup.keys[fingerprint] ??= []).push(blob.toString('hex'));
          (backup.keys_base64[fingerprint] ??= []).push(blob.toString('base64'));
        }
      }
    }
    const answer: RekeyResult = {
      complete: true,
      nonce: attempt.nonce,
      keys: out.map((k) => k.toString('hex')),
      keys_base64: out.map((k) => k.toString('base64')),
      pgp_fingerprints: attempt.fingerprints,
      backup: attempt.backup,
      verification_required: false,
    };
    return { answer, backup };
  }

  private async commit(attempt: Attempt, newRootKey: Buffer, backup: RekeyBackup | undefined): Promise<void> {
    const extra: StorageOp[] =
      backup === undefined
        ? []
        : [{ op: 'put', key: REKEY_BACKUP_PATH, value: this.core.barrier.encryptFor(REKEY_BACKUP_PATH, Buffer.from(JSON.stringify(backup))) }];
    await this.core.seal.rekey(newRootKey, attempt.shares, attempt.threshold, extra);
    this.wipe();
    this.core.logger.child({ module: 'rekey' }).warn({ shares: attempt.shares, threshold: attempt.threshold }, 'rekey complete: the unseal keys changed');
  }

  private async currentThreshold(): Promise<number> {
    return (await this.core.seal.config())?.secret_threshold ?? 0;
  }

  private requireRekeyable(): void {
    if (this.core.isSealed) throw new VaultError('sealed', 'Vault is sealed');
    const mode = this.core.replication.mode();
    if (mode === 'secondary' || mode === 'bootstrapping') {
      throw invalidRequest("rekey is not allowed on a replication secondary: the primary's unseal keys are the cluster's; rekey the primary");
    }
  }
}
