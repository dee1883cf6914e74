import { BodyTooLargeError } from './bounded-body.js';
import { JSON_FIRST_BYTE } from './wal-entry.js';

/**
 * The WAL stream's binary framing, version 1: each frame is a 4-byte big-endian length, then that
 * many bytes — a WAL entry in its stored binary form (see wal-entry.ts), or a control frame
 * (heartbeat, gone) as JSON text, told apart by the first byte (`{`). A secondary asks for it with
 * `Accept`; a primary of an older build answers NDJSON instead, and a secondary of an older build
 * (no such `Accept`) is answered NDJSON by this one: the two builds negotiate, neither misreads.
 */
export const WAL_FRAMES_CONTENT_TYPE = 'application/vnd.ferry.wal-frames.v1';
/**
 * The same framing, its WAL entries' puts possibly carrying their Merkle digests (see wal-entry.ts).
 * A secondary of this build asks for both; a primary answers v2 to one that asks for it, and v1 —
 * entries without digests — to a secondary of a build before.
 */
export const WAL_FRAMES_DIGESTED_CONTENT_TYPE = 'application/vnd.ferry.wal-frames.v2';

const LENGTH_BYTES = 4;

/** One chunk of frames: each payload behind its length, in one buffer (one copy of each payload). */
export function frameChunk(payloads: readonly Buffer[]): Buffer {
  let total = 0;
  for (const p of payloads) total += LENGTH_BYTES + p.length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const p of payloads) {
    out.writeUInt32BE(p.length, at);
    p.copy(out, at + LENGTH_BYTES);
    at += LENGTH_BYTES + p.length;
  }
  return out;
}

/** Whether a frame's payload is a control frame (JSON text) rather than a WAL entry. */
export function isControlFrame(payload: Buffer): boolean {
  return payload[0] === JSON_FIRST_BYTE;
}

/**
 * Cuts received bytes into frames. Each frame is a view of the bytes received (no copy), unless
 * it straddled two reads. A frame longer than `maxFrameBytes` is refused (never buffered).
 */
export class FrameReader {
  /** Received bytes not yet cut into frames (an incomplete frame), and their total. */
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** The bytes of an incomplete frame held until more arrive. */
  get bufferedBytes(): number {
    return this.heldBytes;
  }

  push(chunk: Buffer): Buffer[] {
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    // Joined only once a whole frame is there: a large frame arriving in many reads is copied once.
    if (this.heldBytes < LENGTH_BYTES || this.heldBytes < LENGTH_BYTES + this.nextLength()) return [];
    const bytes = this.held.length === 1 ? (this.held[0] as Buffer) : Buffer.concat(this.held, this.heldBytes);
    const frames: Buffer[] = [];
    let at = 0;
    while (bytes.length - at >= LENGTH_BYTES) {
      const length = this.checked(bytes.readUInt32BE(at));
      if (bytes.length - at - LENGTH_BYTES < length) break;
      frames.push(bytes.subarray(at + LENGTH_BYTES, at + LENGTH_BYTES + length));
      at += LENGTH_BYTES + length;
    }
    this.held = at < bytes.length ? [bytes.subarray(at)] : [];
    this.heldBytes = bytes.length - at;
    return frames;
  }

  /** The length of the first held frame (at least LENGTH_BYTES are held). */
  private nextLength(): number {
    // A length cut across reads: its pieces are joined once, so the first held buffer holds it from now on.
    if ((this.held[0] as Buffer).length < LENGTH_BYTES) this.held = [Buffer.concat(this.held, this.heldBytes)];
    return this.checked((this.held[0] as Buffer).readUInt32BE(0));
  }

  private checked(length: number): number {
    if (length > this.maxFrameBytes) throw new BodyTooLargeError(this.maxFrameBytes);
    return length;
  }
}
