import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { BodyIncompleteError, BodyTooLargeError, readBoundedBody } from '../../../server/replication/bounded-body.js';

describe('readBoundedBody', () => {
  it('returns the whole body when it fits, across chunks', async () => {
    const source = new PassThrough();
    const reading = readBoundedBody(source, 10);
    source.write('hello ');
    source.end('you!');
    expect((await reading).toString()).to.equal('hello you!');
  });

  it('refuses a body one byte past the limit (never truncates) and destroys the source', async () => {
    const source = new PassThrough();
    const reading = readBoundedBody(source, 10);
    source.write('0123456789');
    source.write('X');
    const err = await reading.catch((e: unknown) => e);
    expect(err).to.be.instanceOf(BodyTooLargeError).with.property('maxBytes', 10);
    expect(source.destroyed).to.equal(true);
  });

  it('fails when the source closes before its end', async () => {
    const source = new PassThrough();
    const reading = readBoundedBody(source, 10);
    source.write('part');
    source.destroy();
    expect(await reading.catch((e: unknown) => e)).to.be.instanceOf(BodyIncompleteError);
  });

  it('passes on a source error', async () => {
    const source = new PassThrough();
    const reading = readBoundedBody(source, 10);
    source.destroy(new Error('reset by peer'));
    expect(await reading.catch((e: unknown) => (e as Error).message)).to.equal('reset by peer');
  });
});
