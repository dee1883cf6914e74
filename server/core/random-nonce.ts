import { randomBytes } from 'node:crypto';

/** Bytes taken from the CSPRNG at a time: one call serves about 340 AES-GCM nonces. */
const BLOCK_BYTES = 4096;

// Empty until the first nonce: nothing is drawn at module load, so no start-up snapshot or bundle
// taken then could carry nonce bytes into several processes.
let block = Buffer.alloc(0);
let offset = 0;

/**
 * Writes `length` fresh random bytes (a nonce) into `target` at `at`. They are cut from a block the
 * CSPRNG filled, as `crypto.randomUUID` caches its entropy: a `randomBytes` call costs 2–3 µs
 * whatever its size, and every barrier write needs a nonce. Each byte of a block is handed out
 * once, then the block is replaced. Nonces are public (they are stored beside the ciphertext);
 * what AES-GCM needs of them, never repeating under one key, holds as for a call per nonce.
 */
export function fillRandomNonce(target: Buffer, at: number, length: number): void {
  if (length > BLOCK_BYTES) {
    randomBytes(length).copy(target, at);
    return;
  }
  if (offset + length > block.length) {
    block = randomBytes(BLOCK_BYTES);
    offset = 0;
  }
  block.copy(target, at, offset, offset + length);
  // Spent bytes are zeroed, so no later reader of the block can hand them out again.
  block.fill(0, offset, offset + length);
  offset += length;
}
