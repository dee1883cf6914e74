import { expect } from 'chai';
import { createRootLogger } from '../../server/log.js';

function capture(format: 'standard' | 'json'): { lines: string[]; logger: ReturnType<typeof createRootLogger> } {
  const lines: string[] = [];
  return { lines, logger: createRootLogger('info', { format, destination: { write: (line: string) => void lines.push(line) } }) };
}

describe('createRootLogger', () => {
  it('writes one "module" key for a module logger made from another module logger', () => {
    const { lines, logger } = capture('json');
    logger.child({ module: 'core' }).child({ module: 'rekey' }).info({ shares: 5 }, 'rekey started');
    const line = lines[0] as string;
    expect(line.match(/"module"/g)).to.have.length(1);
    expect(JSON.parse(line)).to.include({ module: 'rekey', msg: 'rekey started', shares: 5 });
  });

  it('keeps the other bindings of the parents', () => {
    const { lines, logger } = capture('json');
    logger.child({ module: 'http', request_id: 'r1' }).child({ module: 'audit' }).warn('x');
    expect(JSON.parse(lines[0] as string)).to.include({ module: 'audit', request_id: 'r1', level: 40 });
  });

  it('writes standard lines as Vault does: time, [LEVEL], module, message and key=value fields', () => {
    const { lines, logger } = capture('standard');
    logger.child({ module: 'core' }).info({ api_addr: 'http://127.0.0.1:1', note: 'two words' }, 'server listening');
    expect(lines[0]).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[INFO\]  core: server listening: api_addr=http:\/\/127\.0\.0\.1:1 note="two words"\n$/);
  });

  it('redacts tokens in standard lines too', () => {
    const { lines, logger } = capture('standard');
    logger.error({ token: 'hvs.SECRETSECRET' }, 'lookup failed');
    expect(lines[0]).to.include('[ERROR] lookup failed: token=[redacted]');
    expect(lines[0]).to.not.include('SECRETSECRET');
  });
});
