import type { Readable } from 'node:stream';

/** The most a secondary reads of one answer from a primary's API (the activation unwrap). */
export const MAX_API_ANSWER_BYTES = 16 * 1024 * 1024;

/** An answer longer than the reader's bound: reading stopped and the source was destroyed. */
export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the answer exceeds the ${maxBytes}-byte limit`);
    this.name = 'BodyTooLargeError';
  }
}

/** The source closed (or was cut) before the end of its body. */
export class BodyIncompleteError extends Error {
  constructor() {
    super('the connection closed before the answer was complete');
    this.name = 'BodyIncompleteError';
  }
}

/**
 * Reads a whole body, refusing (never truncating) past `maxBytes`: the source is destroyed and
 * the promise rejects with BodyTooLargeError. Rejects too when the source fails or closes before
 * its end.
 */
export function readBoundedBody(source: Readable, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    source.on('data', (chunk: Buffer | string) => {
      if (settled) return;
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > maxBytes) {
        chunks.length = 0;
        fail(new BodyTooLargeError(maxBytes));
        source.destroy();
        return;
      }
      chunks.push(buf);
    });
    source.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks));
    });
    source.on('error', fail);
    source.on('close', () => fail(new BodyIncompleteError()));
  });
}
