import { expect } from 'chai';
import { BodyTooLargeError } from '../../../server/replication/bounded-body.js';
import { FrameReader, frameChunk, isControlFrame } from '../../../server/replication/wal-frames.js';

describe('the WAL stream framing', () => {
  const payloads = [Buffer.from('{"type":"heartbeat"}'), Buffer.from([0x94, 1, 2, 3]), Buffer.alloc(0), Buffer.alloc(70_000, 7)];

  it('cuts a chunk back into its frames, whatever the reads it arrives in', () => {
    const chunk = frameChunk(payloads);
    for (const size of [1, 3, 5, 4096, chunk.length]) {
      const reader = new FrameReader(1 << 20);
      const frames: Buffer[] = [];
      for (let at = 0; at < chunk.length; at += size) frames.push(...reader.push(chunk.subarray(at, at + size)));
      expect(frames, `reads of ${size} bytes`).to.deep.equal(payloads);
      expect(reader.bufferedBytes).to.equal(0);
    }
    expect(isControlFrame(payloads[0] as Buffer)).to.equal(true);
    expect(isControlFrame(payloads[1] as Buffer)).to.equal(false);
  });

  it('refuses a frame longer than its bound before buffering it', () => {
    const reader = new FrameReader(1000);
    expect(() => reader.push(frameChunk([Buffer.alloc(1001)]).subarray(0, 10))).to.throw(BodyTooLargeError);
  });
});
