import { expect } from 'chai';
import { HclogLogger, hclogTimestamp, providerLogLevel } from '../../../provider/plugin/hclog-logger.js';

function capture(level: ConstructorParameters<typeof HclogLogger>[0]): { log: HclogLogger; lines: () => Array<Record<string, unknown>> } {
  const written: string[] = [];
  const log = new HclogLogger(level, {}, (line) => written.push(line));
  return { log, lines: () => written.map((l) => (expect(l.endsWith('\n')).to.equal(true), JSON.parse(l) as Record<string, unknown>)) };
}

describe('provider/plugin/hclog-logger', () => {
  it('writes one hclog JSON line per entry: level, six-digit timestamp, module, fields, message', () => {
    const { log, lines } = capture('debug');
    log.child({ '@module': 'provider.terraform-provider-ferry.protocol' }).debug({ rpc: 'GetProviderSchema', ms: 3 }, 'rpc');
    const [line] = lines();
    expect(line).to.include({ '@level': 'debug', '@module': 'provider.terraform-provider-ferry.protocol', rpc: 'GetProviderSchema', ms: 3, '@message': 'rpc' });
    expect(String(line?.['@timestamp'])).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('drops entries below its level and logs nothing when silent', () => {
    const warn = capture('warn');
    warn.log.debug({}, 'hidden');
    warn.log.warn('shown');
    warn.log.error({ rpc: 'x' }, 'also shown');
    expect(warn.lines().map((l) => [l['@level'], l['@message']])).to.deep.equal([
      ['warn', 'shown'],
      ['error', 'also shown'],
    ]);
    const silent = capture('silent');
    silent.log.error({}, 'never');
    expect(silent.lines()).to.deep.equal([]);
  });

  it('keeps the level in children and lets their bindings add to the parent’s', () => {
    const { log, lines } = capture('error');
    const child = log.child({ a: 1 }).child({ b: 2 });
    child.debug({}, 'hidden');
    child.error({ c: 3 }, 'shown');
    expect(lines()).to.have.length(1);
    expect(lines()[0]).to.include({ a: 1, b: 2, c: 3 });
  });

  it('redacts tokens and passwords, at the top level and one object down, and never echoes them', () => {
    const { log, lines } = capture('debug');
    log
      .child({ token: 's.child-secret' })
      .debug({ password: 'hunter2', headers: { 'X-Vault-Token': 's.header-secret', accept: 'json' }, Token: 's.upper' }, 'request');
    const [line] = lines();
    expect(line).to.include({ token: '[redacted]', password: '[redacted]', Token: '[redacted]' });
    expect(line?.['headers']).to.deep.equal({ 'X-Vault-Token': '[redacted]', accept: 'json' });
    expect(JSON.stringify(lines())).to.not.match(/secret|hunter2|s\.upper/);
  });

  it('writes errors as type, message and stack', () => {
    const { log, lines } = capture('error');
    log.error({ err: new TypeError('bad value') }, 'rpc failed');
    expect(lines()[0]?.['err']).to.include({ type: 'TypeError', message: 'bad value' });
  });

  it('takes TF_LOG_PROVIDER over TF_LOG and warns by default', () => {
    expect(providerLogLevel({})).to.equal('warn');
    expect(providerLogLevel({ TF_LOG: 'DEBUG' })).to.equal('debug');
    expect(providerLogLevel({ TF_LOG: 'DEBUG', TF_LOG_PROVIDER: 'off' })).to.equal('silent');
    expect(providerLogLevel({ TF_LOG: 'json' })).to.equal('trace');
    expect(providerLogLevel({ TF_LOG: 'loud' })).to.equal('info');
    expect(hclogTimestamp(new Date('2026-11-28T13:45:07.123Z'))).to.equal('2026-11-28T13:45:07.123000Z');
  });
});
