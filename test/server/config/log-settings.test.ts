import { expect } from 'chai';
import { applyLogFlags, LogSettingError, resolveLogSettings } from '../../../server/config/log-settings.js';

describe('resolveLogSettings', () => {
  it('defaults to info and standard', () => {
    expect(resolveLogSettings({}, {})).to.deep.equal({ logLevel: 'info', logFormat: 'standard' });
  });

  it('lets the environment override the file and the flags override both', () => {
    const file = { level: 'debug', format: 'standard' };
    expect(resolveLogSettings(file, {})).to.deep.equal({ logLevel: 'debug', logFormat: 'standard' });
    const env = { VAULT_LOG_LEVEL: 'WARN', VAULT_LOG_FORMAT: 'JSON' };
    expect(resolveLogSettings(file, env)).to.deep.equal({ logLevel: 'warn', logFormat: 'json' });
    expect(resolveLogSettings(file, env, { level: 'trace', format: 'standard' })).to.deep.equal({ logLevel: 'trace', logFormat: 'standard' });
  });

  it('ignores empty environment variables', () => {
    expect(resolveLogSettings({ level: 'error' }, { VAULT_LOG_LEVEL: '' })).to.deep.equal({ logLevel: 'error', logFormat: 'standard' });
  });

  it('names the source of a bad value', () => {
    expect(() => resolveLogSettings({ format: 'xml' }, {})).to.throw(LogSettingError, 'log_format must be "standard" or "json"');
    expect(() => resolveLogSettings({}, { VAULT_LOG_LEVEL: 'loud' })).to.throw(LogSettingError, 'VAULT_LOG_LEVEL must be one of');
    expect(() => resolveLogSettings({}, {}, { format: 'text' })).to.throw(LogSettingError, '-log-format must be');
  });
});

describe('applyLogFlags', () => {
  it('keeps the rest of the config and applies only the flags given', () => {
    const config = { logLevel: 'info' as const, logFormat: 'standard' as const, clusterName: 'east' };
    expect(applyLogFlags(config, { format: 'json' })).to.deep.equal({ logLevel: 'info', logFormat: 'json', clusterName: 'east' });
  });
});
