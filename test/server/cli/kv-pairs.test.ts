import { expect } from 'chai';
import type { CliIo } from '../../../server/cli/cli-io.js';
import { parseKeyValuePairs } from '../../../server/cli/kv-pairs.js';
import { UsageError } from '../../../server/cli/usage-error.js';

function fakeIo(stdin: string, files: Record<string, string> = {}): CliIo & { stdinReads: number } {
  const io = {
    stdinReads: 0,
    writeOut: () => undefined,
    writeErr: () => undefined,
    readStdin: async () => {
      io.stdinReads++;
      return stdin;
    },
    readLine: async () => stdin.split('\n')[0] ?? '',
    readFile: async (p: string) => {
      const content = files[p];
      if (content === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return content;
    },
    isStdoutTerminal: false,
  };
  return io;
}

describe('cli kv-pairs', () => {
  it('keeps JSON-looking values as strings like vault write', async () => {
    const body = await parseKeyValuePairs(['a=1', 'b={"x":1}', 'c=true', 'd=x=y'], fakeIo(''));
    expect(body).to.deep.equal({ a: '1', b: '{"x":1}', c: 'true', d: 'x=y' });
  });

  it('reads key=@file and key=- without trimming', async () => {
    const io = fakeIo('from-stdin\n', { '/tmp/v': 'from-file\n' });
    expect(await parseKeyValuePairs(['f=@/tmp/v', 's=-'], io)).to.deep.equal({ f: 'from-file\n', s: 'from-stdin\n' });
  });

  it('merges a JSON object from a lone - or @file.json', async () => {
    expect(await parseKeyValuePairs(['-'], fakeIo('{"a":1,"b":[2]}'))).to.deep.equal({ a: 1, b: [2] });
    expect(await parseKeyValuePairs(['@/d.json', 'c=3'], fakeIo('', { '/d.json': '{"a":"x"}' }))).to.deep.equal({ a: 'x', c: '3' });
  });

  it('turns a repeated key into a list', async () => {
    expect(await parseKeyValuePairs(['p=a', 'p=b', 'p=c'], fakeIo(''))).to.deep.equal({ p: ['a', 'b', 'c'] });
  });

  it('refuses to read stdin twice', async () => {
    const io = fakeIo('x');
    let caught: unknown;
    try {
      await parseKeyValuePairs(['a=-', 'b=-'], io);
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(UsageError);
    expect(io.stdinReads).to.equal(1);
  });

  it('rejects an argument without a key and does not echo it', async () => {
    let caught: unknown;
    try {
      await parseKeyValuePairs(['hunter2'], fakeIo(''));
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(UsageError);
    expect((caught as Error).message).to.not.include('hunter2');
  });

  it('reports an unreadable file as a usage error', async () => {
    let caught: unknown;
    try {
      await parseKeyValuePairs(['a=@/nope'], fakeIo(''));
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(UsageError);
    expect((caught as Error).message).to.include('/nope');
  });
});
