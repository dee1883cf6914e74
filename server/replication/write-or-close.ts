import type { Writable } from 'node:stream';

/** The part of a response a streaming writer needs (an HTTP/2 or HTTP/1 response, or a stream). */
type WritableLike = Pick<Writable, 'write' | 'once' | 'off' | 'destroyed' | 'writableEnded'>;

/**
 * Writes one chunk and waits while the peer applies back-pressure: resolves true once it may
 * write again (`'drain'`), false as soon as the peer is gone (`'close'` or `'error'`), so a
 * writer loop never hangs on a disconnected peer. Every listener it adds is removed again.
 */
export function writeOrClose(out: WritableLike, chunk: string | Buffer): Promise<boolean> {
  if (out.destroyed || out.writableEnded) return Promise.resolve(false);
  let accepted: boolean;
  try {
    accepted = out.write(chunk);
  } catch {
    return Promise.resolve(false);
  }
  if (accepted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (open: boolean) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', onClose);
      resolve(open);
    };
    const onDrain = () => settle(true);
    const onClose = () => settle(false);
    out.once('drain', onDrain);
    out.once('close', onClose);
    out.once('error', onClose);
  });
}
