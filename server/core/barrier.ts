import { type CipherKey, createCipheriv, createDecipheriv } from 'node:crypto';
import type { ScanOptions, StorageBackend, StorageEntry, StorageOp } from '../storage/backend.js';
import { Keyring } from './keyring.js';
import { fillRandomNonce } from './random-nonce.js';
import { VaultError } from './vault-error.js';

/** Where the keyring lives, encrypted under the root key. */
export const KEYRING_PATH = 'core/keyring';
/**
 * The root key as of the last rekey, encrypted under the keyring (Vault's `core/master`): a node
 * that holds the keyring but not the new root key (a replication secondary) follows a rekey with it.
 */
export const ROOT_KEY_PATH = 'core/root-key';
const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + 4 + NONCE_BYTES;
/** Term 0 marks the keyring itself, sealed with the root key. */
const ROOT_KEY_TERM = 0;

/** Plaintext view of storage used by everything above the barrier. */
export interface LogicalStorage {
  get(key: string): Promise<Buffer | undefined>;
  /**
   * Whether `key` holds an entry, as `get` would find it, without decrypting the value (a
   * create-vs-update existence check needs only that). Optional: `hasEntry` falls back to `get`.
   */
  has?(key: string): Promise<boolean>;
  put(key: string, value: Buffer): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  scan(prefix: string, options?: ScanOptions): Promise<StorageEntry[]>;
  transaction(ops: readonly StorageOp[]): Promise<void>;
}

/**
 * AES-256-GCM: [version:1][term:4][nonce:12][ciphertext][tag:16]; the storage path is the AAD.
 * `key`: raw bytes or, on the request path, the keyring term's `KeyObject`.
 */
export function encryptEntry(key: CipherKey, term: number, path: string, plaintext: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(VERSION, 0);
  header.writeUInt32BE(term, 1);
  fillRandomNonce(header, 5, NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, header.subarray(5, HEADER_BYTES));
  cipher.setAAD(Buffer.from(path, 'utf8'));
  const body = cipher.update(plaintext);
  const last = cipher.final();
  return Buffer.concat([header, body, last, cipher.getAuthTag()]);
}

export function termOf(ciphertext: Buffer): number {
  if (ciphertext.length < HEADER_BYTES + TAG_BYTES || ciphertext.readUInt8(0) !== VERSION) {
    throw new VaultError('internal', 'stored entry is not a barrier ciphertext');
  }
  return ciphertext.readUInt32BE(1);
}

export function decryptEntry(key: CipherKey, path: string, ciphertext: Buffer): Buffer {
  termOf(ciphertext);
  const nonce = ciphertext.subarray(5, HEADER_BYTES);
  const tag = ciphertext.subarray(ciphertext.length - TAG_BYTES);
  const body = ciphertext.subarray(HEADER_BYTES, ciphertext.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(path, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new VaultError('internal', `failed to decrypt storage entry "${path}": message authentication failed`);
  }
}

/**
 * Encrypts `plaintext` for `path` under the active key of a stored keyring (as found in another
 * cluster's storage), so a secondary can write its own state in the same transaction that
 * adopts the primary's keyring.
 */
export function encryptWithStoredKeyring(storedKeyring: Buffer, rootKey: Buffer, path: string, plaintext: Buffer): Buffer {
  const keyring = Keyring.deserialize(decryptEntry(rootKey, KEYRING_PATH, storedKeyring));
  return encryptEntry(keyring.active.cipherKey, keyring.activeTerm, path, plaintext);
}

/**
 * The security barrier: every value is encrypted before it reaches the untrusted physical backend.
 * The keyring exists in memory only while unsealed; sealing drops it.
 */
export class Barrier implements LogicalStorage {
  private keyring: Keyring | undefined;

  constructor(private readonly physical: StorageBackend) {}

  get isSealed(): boolean {
    return this.keyring === undefined;
  }

  get activeTerm(): number {
    return this.requireKeyring().activeTerm;
  }

  termInstallTime(term: number): string | undefined {
    return this.keyring?.term(term)?.installedAt;
  }

  /** True when a keyring has been written (the barrier was initialized). */
  async isInitialized(): Promise<boolean> {
    return (await this.physical.get(KEYRING_PATH)) !== undefined;
  }

  /** Creates the first keyring, sealed with rootKey, and leaves the barrier unsealed. */
  async initialize(rootKey: Buffer): Promise<void> {
    const keyring = Keyring.create();
    await this.physical.put(KEYRING_PATH, encryptEntry(rootKey, ROOT_KEY_TERM, KEYRING_PATH, keyring.serialize()));
    this.keyring = keyring;
  }

  /** Opens the keyring with rootKey; a wrong key fails with a clear error and leaves it sealed. */
  async unseal(rootKey: Buffer): Promise<void> {
    const stored = await this.physical.get(KEYRING_PATH);
    if (stored === undefined) throw new VaultError('invalid_request', 'barrier is not initialized');
    let plaintext: Buffer;
    try {
      plaintext = decryptEntry(rootKey, KEYRING_PATH, stored);
    } catch {
      throw new VaultError('invalid_request', 'failed to unseal: the unseal key is not valid for this barrier');
    }
    this.keyring = Keyring.deserialize(plaintext);
  }

  /** Re-reads the keyring (after a replicated rotation arrives) with the root key held in memory by the seal. */
  async reloadKeyring(rootKey: Buffer): Promise<void> {
    if (this.keyring === undefined) return;
    await this.unseal(rootKey);
  }

  seal(): void {
    this.keyring = undefined;
  }

  /**
   * The physical writes of a rekey: the keyring sealed with `newRootKey`, and `newRootKey` itself
   * under the active keyring term. The caller commits them with the new seal config in one
   * transaction (see `Seal.rekey`).
   */
  rekeyOps(newRootKey: Buffer): StorageOp[] {
    const keyring = this.requireKeyring();
    const active = keyring.active;
    return [
      { op: 'put', key: KEYRING_PATH, value: encryptEntry(newRootKey, ROOT_KEY_TERM, KEYRING_PATH, keyring.serialize()) },
      { op: 'put', key: ROOT_KEY_PATH, value: encryptEntry(active.cipherKey, active.term, ROOT_KEY_PATH, newRootKey) },
    ];
  }

  /** The root key stored by the last rekey, if any (readable with the keyring in memory). */
  async storedRootKey(): Promise<Buffer | undefined> {
    const stored = await this.physical.get(ROOT_KEY_PATH);
    return stored === undefined ? undefined : this.decrypt(ROOT_KEY_PATH, stored);
  }

  async rotate(rootKey: Buffer): Promise<number> {
    const next = this.requireKeyring().rotate();
    await this.physical.put(KEYRING_PATH, encryptEntry(rootKey, ROOT_KEY_TERM, KEYRING_PATH, next.serialize()));
    this.keyring = next;
    return next.activeTerm;
  }

  /** Encrypts a value for `path` with the active key (for writes that bypass `transaction`). */
  encryptFor(path: string, plaintext: Buffer): Buffer {
    const active = this.requireKeyring().active;
    return encryptEntry(active.cipherKey, active.term, path, plaintext);
  }

  /** Decrypts what `encryptFor(path, …)` produced (for values kept outside storage, such as batch tokens). */
  decryptFor(path: string, ciphertext: Buffer): Buffer {
    return this.decrypt(path, ciphertext);
  }

  async get(key: string): Promise<Buffer | undefined> {
    // The stored root key is for `storedRootKey` only: nothing above the barrier reads it.
    if (key === ROOT_KEY_PATH) return undefined;
    const stored = await this.physical.get(key);
    return stored === undefined ? undefined : this.decrypt(key, stored);
  }

  async has(key: string): Promise<boolean> {
    if (key === ROOT_KEY_PATH) return false;
    this.requireKeyring();
    return (await this.physical.get(key)) !== undefined;
  }

  put(key: string, value: Buffer): Promise<void> {
    return this.transaction([{ op: 'put', key, value }]);
  }

  delete(key: string): Promise<void> {
    return this.transaction([{ op: 'delete', key }]);
  }

  async list(prefix: string): Promise<string[]> {
    this.requireKeyring();
    return this.physical.list(prefix);
  }

  async scan(prefix: string, options?: ScanOptions): Promise<StorageEntry[]> {
    const entries = await this.physical.scan(prefix, options);
    return entries.map((e) => ({ key: e.key, value: this.decrypt(e.key, e.value) }));
  }

  async transaction(ops: readonly StorageOp[]): Promise<void> {
    const keyring = this.requireKeyring();
    const active = keyring.active;
    const encrypted = ops.map((op): StorageOp => {
      // The keyring is written only by initialize/rotate; nothing above the barrier may touch it.
      const touchesKeyring =
        op.op === 'delete-prefix'
          ? KEYRING_PATH.startsWith(op.prefix) || ROOT_KEY_PATH.startsWith(op.prefix)
          : op.key === KEYRING_PATH || op.key === ROOT_KEY_PATH;
      if (touchesKeyring) throw new VaultError('invalid_request', 'the keyring path is reserved');
      if (op.op !== 'put') return op;
      return { op: 'put', key: op.key, value: encryptEntry(active.cipherKey, active.term, op.key, op.value) };
    });
    await this.physical.transaction(encrypted);
  }

  private decrypt(key: string, stored: Buffer): Buffer {
    const keyring = this.requireKeyring();
    const term = termOf(stored);
    const entry = keyring.term(term);
    if (entry === undefined) throw new VaultError('internal', `failed to decrypt storage entry "${key}": unknown key term ${term}`);
    return decryptEntry(entry.cipherKey, key, stored);
  }

  private requireKeyring(): Keyring {
    if (this.keyring === undefined) throw new VaultError('sealed', 'Vault is sealed');
    return this.keyring;
  }
}

/** Whether `key` holds an entry: the storage's own presence check where it has one, else a `get`. */
export async function hasEntry(storage: LogicalStorage, key: string): Promise<boolean> {
  if (storage.has !== undefined) return storage.has(key);
  return (await storage.get(key)) !== undefined;
}

/** A prefix-scoped view of logical storage: a backend sees only its own keys. */
export class StorageView implements LogicalStorage {
  constructor(
    private readonly parent: LogicalStorage,
    readonly prefix: string,
  ) {}

  get(key: string): Promise<Buffer | undefined> {
    return this.parent.get(this.prefix + key);
  }
  has(key: string): Promise<boolean> {
    return hasEntry(this.parent, this.prefix + key);
  }
  put(key: string, value: Buffer): Promise<void> {
    return this.parent.put(this.prefix + key, value);
  }
  delete(key: string): Promise<void> {
    return this.parent.delete(this.prefix + key);
  }
  list(prefix: string): Promise<string[]> {
    return this.parent.list(this.prefix + prefix);
  }
  async scan(prefix: string, options?: ScanOptions): Promise<StorageEntry[]> {
    const after = options?.after === undefined ? undefined : this.prefix + options.after;
    const entries = await this.parent.scan(this.prefix + prefix, { ...options, ...(after === undefined ? {} : { after }) });
    return entries.map((e) => ({ key: e.key.slice(this.prefix.length), value: e.value }));
  }
  transaction(ops: readonly StorageOp[]): Promise<void> {
    return this.parent.transaction(
      ops.map((op): StorageOp => (op.op === 'delete-prefix' ? { op: 'delete-prefix', prefix: this.prefix + op.prefix } : { ...op, key: this.prefix + op.key })),
    );
  }
  /** Convenience for JSON documents. */
  async getJson<T>(key: string): Promise<T | undefined> {
    const raw = await this.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as T);
  }
  putJson(key: string, value: unknown): Promise<void> {
    return this.put(key, Buffer.from(JSON.stringify(value)));
  }
}
