import { expect } from 'chai';
import { isServedOnStandby } from '../../../server/ha/standby-forwarder.js';

describe('isServedOnStandby', () => {
  it('keeps init, unseal, seal-status, leader and health on the standby, query and trailing slash aside', () => {
    for (const url of ['/v1/sys/init', '/v1/sys/unseal', '/v1/sys/seal-status', '/v1/sys/leader', '/v1/sys/health?standbyok=true', '/v1/sys/health/']) {
      expect(isServedOnStandby(url), url).to.equal(true);
    }
  });

  it('forwards everything else, including sys/step-down, sys/ha-status and look-alike paths', () => {
    for (const url of ['/v1/sys/step-down', '/v1/sys/ha-status', '/v1/secret/sys/health', '/v1/sys/healthz', '/v1/kv/x?path=sys/health', '/v1/sys/seal']) {
      expect(isServedOnStandby(url), url).to.equal(false);
    }
  });
});
