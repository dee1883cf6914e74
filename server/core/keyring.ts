import { createSecretKey, type KeyObject, randomBytes } from 'node:crypto';

/** One data-encryption key of the barrier, numbered by term. */
export interface KeyringTerm {
  readonly term: number;
  readonly key: Buffer;
  /**
   * The same key as a `KeyObject`, made once: a cipher built from it skips importing the raw bytes
   * again on every encryption and decryption.
   */
  readonly cipherKey: KeyObject;
  readonly installedAt: string;
}

function keyringTerm(term: number, key: Buffer, installedAt: string): KeyringTerm {
  return { term, key, cipherKey: createSecretKey(key), installedAt };
}

/**
 * The barrier's keyring: every term ever installed (old ciphertexts stay readable) and the active
 * term that new writes use. Immutable: rotation returns a new keyring.
 */
export class Keyring {
  private constructor(
    private readonly terms: ReadonlyMap<number, KeyringTerm>,
    readonly activeTerm: number,
  ) {}

  static create(): Keyring {
    const first = keyringTerm(1, randomBytes(32), new Date().toISOString());
    return new Keyring(new Map([[1, first]]), 1);
  }

  get active(): KeyringTerm {
    return this.terms.get(this.activeTerm) as KeyringTerm;
  }

  term(term: number): KeyringTerm | undefined {
    return this.terms.get(term);
  }

  rotate(): Keyring {
    const next = keyringTerm(this.activeTerm + 1, randomBytes(32), new Date().toISOString());
    const terms = new Map(this.terms);
    terms.set(next.term, next);
    return new Keyring(terms, next.term);
  }

  serialize(): Buffer {
    return Buffer.from(
      JSON.stringify({
        active_term: this.activeTerm,
        keys: [...this.terms.values()].map((t) => ({ term: t.term, key: t.key.toString('base64'), installed_at: t.installedAt })),
      }),
    );
  }

  static deserialize(raw: Buffer): Keyring {
    const parsed = JSON.parse(raw.toString('utf8')) as { active_term: number; keys: { term: number; key: string; installed_at: string }[] };
    const terms = new Map<number, KeyringTerm>();
    for (const k of parsed.keys) terms.set(k.term, keyringTerm(k.term, Buffer.from(k.key, 'base64'), k.installed_at));
    if (!terms.has(parsed.active_term)) throw new Error('keyring has no active term');
    return new Keyring(terms, parsed.active_term);
  }
}
