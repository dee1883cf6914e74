import { createHash } from 'node:crypto';

/** Words (uint32) per entry: key digest (2 words, big-endian halves), then leaf digest (2 words). */
const WORDS = 4;
const MIN_CAPACITY = 8;

/**
 * One bucket of the Merkle index: its leaves as a page of fixed-size records (8-byte key digest,
 * 8-byte leaf digest) sorted by key digest in one typed array, plus the XOR of its leaf digests.
 * 16 bytes a key, no per-key objects; the page grows by half and shrinks when a quarter full.
 */
export class MerkleBucket {
  private page = new Uint32Array(MIN_CAPACITY * WORDS);
  private length = 0;
  private xorHi = 0;
  private xorLo = 0;
  private digestCache: Buffer | undefined;

  get bytes(): number {
    return this.page.byteLength;
  }

  /** Inserts or replaces a leaf; true when the key was not there before. */
  put(keyHi: number, keyLo: number, leafHi: number, leafLo: number): boolean {
    const at = this.search(keyHi, keyLo);
    const page = this.page;
    this.digestCache = undefined;
    if (at >= 0) {
      const w = at * WORDS;
      this.xorHi ^= (page[w + 2] as number) ^ leafHi;
      this.xorLo ^= (page[w + 3] as number) ^ leafLo;
      page[w + 2] = leafHi;
      page[w + 3] = leafLo;
      return false;
    }
    const slot = -at - 1;
    if ((this.length + 1) * WORDS > page.length) this.resize(Math.max(MIN_CAPACITY, Math.ceil(this.length * 1.5)));
    const p = this.page;
    p.copyWithin((slot + 1) * WORDS, slot * WORDS, this.length * WORDS);
    const w = slot * WORDS;
    p[w] = keyHi;
    p[w + 1] = keyLo;
    p[w + 2] = leafHi;
    p[w + 3] = leafLo;
    this.length++;
    this.xorHi ^= leafHi;
    this.xorLo ^= leafLo;
    return true;
  }

  /** Makes room for `capacity` leaves at once (a bulk load sizes each page once instead of growing it). */
  reserve(capacity: number): void {
    if (capacity * WORDS > this.page.length) this.resize(capacity);
  }

  /** Removes a leaf; true when it was there. */
  remove(keyHi: number, keyLo: number): boolean {
    const at = this.search(keyHi, keyLo);
    if (at < 0) return false;
    const p = this.page;
    const w = at * WORDS;
    this.xorHi ^= p[w + 2] as number;
    this.xorLo ^= p[w + 3] as number;
    p.copyWithin(w, w + WORDS, this.length * WORDS);
    this.length--;
    this.digestCache = undefined;
    if (p.length > MIN_CAPACITY * WORDS && this.length * WORDS * 4 < p.length) this.resize(Math.max(MIN_CAPACITY, this.length * 2));
    return true;
  }

  has(keyHi: number, keyLo: number): boolean {
    return this.search(keyHi, keyLo) >= 0;
  }

  clear(): void {
    this.page = new Uint32Array(MIN_CAPACITY * WORDS);
    this.length = 0;
    this.xorHi = 0;
    this.xorLo = 0;
    this.digestCache = undefined;
  }

  /** sha256 of the XOR of the leaf digests and the leaf count. */
  digest(): Buffer {
    if (this.digestCache === undefined) {
      const state = Buffer.alloc(12);
      state.writeUInt32BE(this.xorHi >>> 0, 0);
      state.writeUInt32BE(this.xorLo >>> 0, 4);
      state.writeUInt32BE(this.length, 8);
      this.digestCache = createHash('sha256').update(state).digest();
    }
    return this.digestCache;
  }

  /** The records (key digest, leaf digest; 16 bytes each, big-endian) in key-digest order. */
  leaves(): Buffer {
    const out = Buffer.alloc(this.length * WORDS * 4);
    for (let i = 0; i < this.length * WORDS; i++) out.writeUInt32BE(this.page[i] as number, i * 4);
    return out;
  }

  /**
   * Adds this bucket's leaves into per-sub-bucket state: a leaf's sub-bucket is the `bits` bits of its
   * key digest after the bucket's byte; `xor` gets the XOR of the sub-bucket's leaf digests (two words
   * a sub-bucket), `counts` its number of leaves. One walk over the page, nothing kept.
   */
  accumulateSubBuckets(bits: number, xor: Uint32Array, counts: Uint32Array): void {
    const shift = 24 - bits;
    const mask = (1 << bits) - 1;
    const p = this.page;
    for (let i = 0; i < this.length; i++) {
      const w = i * WORDS;
      const sub = ((p[w] as number) >>> shift) & mask;
      xor[sub * 2] = (xor[sub * 2] as number) ^ (p[w + 2] as number);
      xor[sub * 2 + 1] = (xor[sub * 2 + 1] as number) ^ (p[w + 3] as number);
      counts[sub] = (counts[sub] as number) + 1;
    }
  }

  /** As `leaves`, for the sub-buckets `subs` (ascending; see `accumulateSubBuckets`) only. */
  subLeaves(bits: number, subs: readonly number[]): Buffer {
    const ranges = subs.map((sub) => [this.firstOfSub(bits, sub), this.firstOfSub(bits, sub + 1)] as const);
    const out = Buffer.alloc(ranges.reduce((n, [from, to]) => n + (to - from), 0) * WORDS * 4);
    let at = 0;
    for (const [from, to] of ranges) {
      for (let i = from * WORDS; i < to * WORDS; i++, at += 4) out.writeUInt32BE(this.page[i] as number, at);
    }
    return out;
  }

  /** Index of the first leaf whose sub-bucket is `sub` or later (leaves are sorted by key digest, so by sub-bucket). */
  private firstOfSub(bits: number, sub: number): number {
    if (sub >= 1 << bits) return this.length;
    const shift = 24 - bits;
    const mask = (1 << bits) - 1;
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((((this.page[mid * WORDS] as number) >>> shift) & mask) < sub) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the key, or -(insertion point) - 1. */
  private search(keyHi: number, keyLo: number): number {
    let lo = 0;
    let hi = this.length - 1;
    const p = this.page;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const h = p[mid * WORDS] as number;
      const l = p[mid * WORDS + 1] as number;
      if (h < keyHi || (h === keyHi && l < keyLo)) lo = mid + 1;
      else if (h === keyHi && l === keyLo) return mid;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  private resize(capacity: number): void {
    const next = new Uint32Array(capacity * WORDS);
    next.set(this.page.subarray(0, this.length * WORDS));
    this.page = next;
  }
}
