import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/** Prefix Vault puts in front of every HMAC'd value in an audit entry. */
export const AUDIT_HMAC_PREFIX = 'hmac-sha256:';

/**
 * HMAC-SHA256 with one audit device's salt. Operators compare a known value with
 * `sys/audit-hash/<device>`, which uses the same function.
 */
export class AuditHasher {
  /** Per request (held weakly): the HMACs already computed for it. */
  private readonly requests = new WeakMap<object, Map<string, string>>();

  /** The salt as a `KeyObject`, made once per device: each HMAC then skips importing its bytes. */
  private readonly salt: KeyObject;

  constructor(
    salt: Buffer | KeyObject,
    private readonly memo?: Map<string, string>,
  ) {
    this.salt = Buffer.isBuffer(salt) ? createSecretKey(salt) : salt;
  }

  /**
   * This hasher, remembering its results for `request`: the request entry and the response entry
   * of one request (token, accessor, request data) HMAC each value once.
   */
  within(request: object): AuditHasher {
    let memo = this.requests.get(request);
    if (memo === undefined) {
      memo = new Map();
      this.requests.set(request, memo);
    }
    return new AuditHasher(this.salt, memo);
  }

  hash(value: string): string {
    const known = this.memo?.get(value);
    if (known !== undefined) return known;
    const hashed = AUDIT_HMAC_PREFIX + createHmac('sha256', this.salt).update(value, 'utf8').digest('hex');
    this.memo?.set(value, hashed);
    return hashed;
  }

  /**
   * A copy of `value` with every string leaf HMAC'd. Numbers, booleans and null stay in clear,
   * as in Vault (send sensitive values as strings). Never mutates its input; callers bound the
   * depth first (`assertJsonDepthWithin`).
   */
  hashStructure(value: unknown): unknown {
    if (typeof value === 'string') return this.hash(value);
    if (Array.isArray(value)) return value.map((item) => this.hashStructure(item));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = this.hashStructure(item);
      return out;
    }
    return value;
  }
}
