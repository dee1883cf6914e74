import { expect } from 'chai';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { createDeferredLog } from '../../../provider/plugin/deferred-log.js';

describe('provider/plugin/deferred-log', () => {
  /** A real pino logger writing JSON lines into `lines`, and how often it was asked for. */
  const capture = (): { lines: Array<Record<string, unknown>>; loads: () => number; load: () => Promise<Logger> } => {
    const lines: Array<Record<string, unknown>> = [];
    let loads = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    return {
      lines,
      loads: () => loads,
      load: async () => {
        loads++;
        await new Promise((r) => setImmediate(r));
        return pino({ level: 'trace', base: null, timestamp: false, redact: ['token'] }, sink);
      },
    };
  };
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

  it('never sets the logger up while nothing at its level is logged', async () => {
    const c = capture();
    const log = createDeferredLog('warn', c.load);
    log.child({ '@module': 'x' }).debug({ a: 1 }, 'not shown');
    log.info({}, 'not shown');
    await settle();
    expect(c.loads()).to.equal(0);
    createDeferredLog('silent', c.load).error({}, 'not shown');
    await settle();
    expect(c.loads()).to.equal(0);
  });

  it('sets it up once on the first line due and writes the lines logged meanwhile in order, with child bindings and redaction', async () => {
    const c = capture();
    const log = createDeferredLog('debug', c.load);
    const child = log.child({ '@module': 'plugin' });
    child.warn({ token: 's.secret' }, 'first');
    log.trace({}, 'below the level');
    log.debug({ n: 2 }, 'second');
    child.child({ rpc: 'Read' }).error({}, 'third');
    expect(c.lines).to.deep.equal([]);
    await settle();
    child.info({}, 'fourth');
    expect(c.loads()).to.equal(1);
    expect(c.lines.map((l) => l['msg'])).to.deep.equal(['first', 'second', 'third', 'fourth']);
    expect(c.lines[0]).to.include({ '@module': 'plugin', token: '[Redacted]' });
    expect(c.lines[1]).to.include({ n: 2 }).and.not.have.property('@module');
    expect(c.lines[2]).to.include({ '@module': 'plugin', rpc: 'Read' });
  });
});
