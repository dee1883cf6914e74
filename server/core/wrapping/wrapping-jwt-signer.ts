import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { LogicalStorage } from '../barrier.js';
import { layout } from '../storage-layout.js';

/** Where this cluster's P-521 wrapping key lives, behind the barrier and never replicated. */
export const WRAPPING_JWT_KEY_PATH = `${layout.wrapping}jwtkey`;

const ALG = 'ES512';
/** Clock skew tolerated on `exp` and `nbf`, in seconds. */
const LEEWAY_SECONDS = 5;
/** Longer inputs are not ours; refused before parsing. */
const MAX_JWT_CHARS = 4096;

/**
 * Vault's test for the JWT form of a wrapping token: exactly two dots, and the second
 * character is not a dot. Opaque ids (`hvs.…`) have one dot.
 */
export function isJwtWrappingToken(token: string): boolean {
  return token.split('.').length === 3 && token[1] !== '.';
}

export interface WrappingJwtClaims {
  readonly jti: string;
  readonly ttlSeconds: number;
  readonly addr: string;
  readonly accessor: string;
  /** Claims added beside the standard ones (they cannot replace them). */
  readonly extra?: Readonly<Record<string, string>>;
}

interface KeyPair {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

/**
 * Signs and verifies the JWT form of wrapping tokens: ES512 with a P-521 key generated per
 * cluster on first use and stored at `local/wrapping/jwtkey`. Only this cluster verifies its
 * tokens; `verify` pins the algorithm, checks `type == "wrapping"`, `exp` and `nbf`, and
 * returns the token id (`jti`), or undefined for anything else.
 */
export class WrappingJwtSigner {
  private keys: Promise<KeyPair> | undefined;

  constructor(private readonly storage: LogicalStorage) {}

  async sign(claims: WrappingJwtClaims): Promise<string> {
    const { privateKey } = await this.keyPair();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims.extra, type: 'wrapping', addr: claims.addr, accessor: claims.accessor })
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setJti(claims.jti)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + claims.ttlSeconds)
      .sign(privateKey);
  }

  /** The wrapping token id inside a valid token of this cluster; undefined when not valid. */
  async verify(token: string): Promise<string | undefined> {
    if (token.length > MAX_JWT_CHARS || !isJwtWrappingToken(token)) return undefined;
    const { publicKey } = await this.keyPair();
    try {
      const { payload } = await jwtVerify(token, publicKey, { algorithms: [ALG], clockTolerance: LEEWAY_SECONDS, requiredClaims: ['jti', 'exp', 'iat'] });
      if (payload.type !== 'wrapping' || typeof payload.jti !== 'string' || payload.jti === '') return undefined;
      return payload.jti;
    } catch {
      return undefined;
    }
  }

  /** Forgets the key (on seal). */
  forget(): void {
    this.keys = undefined;
  }

  private keyPair(): Promise<KeyPair> {
    // One promise per unseal, so concurrent first uses cannot mint two keys.
    this.keys ??= this.loadOrCreate().catch((err: unknown) => {
      this.keys = undefined;
      throw err;
    });
    return this.keys;
  }

  private async loadOrCreate(): Promise<KeyPair> {
    const stored = await this.storage.get(WRAPPING_JWT_KEY_PATH);
    let jwk: JWK;
    if (stored !== undefined) {
      jwk = (JSON.parse(stored.toString('utf8')) as { jwk: JWK }).jwk;
    } else {
      const generated = await generateKeyPair(ALG, { extractable: true });
      jwk = await exportJWK(generated.privateKey);
      await this.storage.put(WRAPPING_JWT_KEY_PATH, Buffer.from(JSON.stringify({ jwk })));
    }
    const { d: _d, ...publicJwk } = jwk;
    return { privateKey: (await importJWK(jwk, ALG)) as CryptoKey, publicKey: (await importJWK(publicJwk, ALG)) as CryptoKey };
  }
}
