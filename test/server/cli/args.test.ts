import { expect } from 'chai';
import { parseArgs } from '../../../server/cli/args.js';
import { UsageError } from '../../../server/cli/usage-error.js';

describe('cli args', () => {
  it('reads -flag=value and -flag value forms', () => {
    const args = parseArgs(['-ttl=1h', '-display-name', 'ci', 'secret/a'], { ttl: 'string', 'display-name': 'string' });
    expect(args.string('ttl')).to.equal('1h');
    expect(args.string('display-name')).to.equal('ci');
    expect(args.positional).to.deep.equal(['secret/a']);
  });

  it('accepts double dashes like Go flags', () => {
    expect(parseArgs(['--format=json'], {}).string('format')).to.equal('json');
  });

  it('treats a bare boolean flag as true and honours -flag=false', () => {
    const args = parseArgs(['-orphan', '-renewable=false'], { orphan: 'boolean', renewable: 'boolean' });
    expect(args.bool('orphan')).to.equal(true);
    expect(args.bool('renewable')).to.equal(false);
    expect(args.bool('missing' as string)).to.equal(undefined);
  });

  it('does not let a boolean flag swallow the next argument', () => {
    const args = parseArgs(['-f', 'secret/a'], { f: 'boolean' });
    expect(args.bool('f')).to.equal(true);
    expect(args.positional).to.deep.equal(['secret/a']);
  });

  it('collects repeated and comma-separated list flags', () => {
    const args = parseArgs(['-policy=a', '-policy', 'b,c'], { policy: 'list' });
    expect(args.list('policy')).to.deep.equal(['a', 'b', 'c']);
  });

  it('accepts flags after positional arguments', () => {
    const args = parseArgs(['secret/a', 'k=v', '-f'], { f: 'boolean' });
    expect(args.bool('f')).to.equal(true);
    expect(args.positional).to.deep.equal(['secret/a', 'k=v']);
  });

  it('keeps a lone dash and everything after -- positional', () => {
    const args = parseArgs(['-', '--', '-notaflag'], {});
    expect(args.positional).to.deep.equal(['-', '-notaflag']);
  });

  it('knows the global flags on every command', () => {
    const args = parseArgs(['-address=http://127.0.0.1:1', '-format=json', '-field=token', '-wrap-ttl=5m'], {});
    expect(args.string('address')).to.equal('http://127.0.0.1:1');
    expect(args.string('field')).to.equal('token');
    expect(args.string('wrap-ttl')).to.equal('5m');
  });

  it('rejects an unknown flag', () => {
    expect(() => parseArgs(['-bogus'], {})).to.throw(UsageError, 'flag provided but not defined: -bogus');
  });

  it('rejects a value flag without a value', () => {
    expect(() => parseArgs(['-ttl'], { ttl: 'string' })).to.throw(UsageError, 'flag needs an argument: -ttl');
  });

  it('rejects a boolean flag with a non-boolean value', () => {
    expect(() => parseArgs(['-orphan=maybe'], { orphan: 'boolean' })).to.throw(UsageError);
  });

  it('checks positional counts with Vault wording', () => {
    expect(() => parseArgs([], {}).expectPositional(1)).to.throw(UsageError, 'Not enough arguments (expected 1, got 0)');
    expect(() => parseArgs(['a', 'b'], {}).expectPositional(1)).to.throw(UsageError, 'Too many arguments (expected 1, got 2)');
    expect(parseArgs(['a'], {}).expectPositional(0, 1)).to.deep.equal(['a']);
  });
});
