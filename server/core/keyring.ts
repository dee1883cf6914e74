import { randomBytes } from 'node:crypto';

/** One data-encryption key of the barrier, numbered by term. */
export interface KeyringTerm {
  readonly term: number;
  readonly key: Buffer;
  readonly installedAt: string;
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
    const first: KeyringTerm = { term: 1, key: randomBytes(32), installedAt: new Date().toISOString() };
    return new Keyring(new Map([[1, first]]), 1);
  }

  get active(): KeyringTerm {
    return this.terms.get(this.activeTerm) as KeyringTerm;
  }

  term(term: number): KeyringTerm | undefined {
    return this.terms.get(term);
  }

  rotate(): Keyring {
    const next: KeyringTerm = { term: this.activeTerm + 1, key: randomBytes(32), installedAt: new Date().toISOString() };
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
    for (const k of parsed.keys) terms.set(k.term, { term: k.term, key: Buffer.from(k.key, 'base64'), installedAt: k.installed_at });
    if (!terms.has(parsed.active_term)) throw new Error('keyring has no active term');
    return new Keyring(terms, parsed.active_term);
  }
}
