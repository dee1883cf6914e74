import { expect } from 'chai';
import { layout } from '../../../server/core/storage-layout.js';
import { classify, DR_KEYSET, LAYOUT_CLASSES, mountRegionOf, performanceKeyset, type KeyClass } from '../../../server/replication/keyset.js';
import { WAL_PREFIX } from '../../../server/replication/wal-storage.js';
import { STATE_KEY } from '../../../server/replication/replication-state.js';

/** A key under each layout entry, with the class `LAYOUT_CLASSES` declares for it. */
function layoutSamples(): { name: string; key: string; declared: KeyClass }[] {
  const out: { name: string; key: string; declared: KeyClass }[] = [];
  for (const [name, value] of Object.entries(layout)) {
    const declared = LAYOUT_CLASSES[name as keyof typeof layout];
    expect(declared, `storage-layout entry "${name}" has no class in keyset.ts`).to.not.equal(undefined);
    if (typeof value === 'string') {
      out.push({ name, key: `${value}${value.endsWith('/') ? 'x' : ''}`, declared: declared as KeyClass });
    } else {
      const both = declared as { replicated: KeyClass; local: KeyClass };
      const fn = value as (a: unknown, b?: unknown) => string;
      const sample = (local: boolean) => {
        const key = fn.length === 1 ? fn(local) : fn('3f1c', local);
        return key.endsWith('/') ? `${key}x` : key;
      };
      out.push({ name: `${name}(replicated)`, key: sample(false), declared: both.replicated });
      out.push({ name: `${name}(local)`, key: sample(true), declared: both.local });
    }
  }
  return out;
}

describe('keysets: which keys travel to which secondary', () => {
  it('classifies every prefix of the storage layout as keyset.ts declares it (a new prefix fails here until classified)', () => {
    const samples = layoutSamples();
    expect(samples.length).to.be.greaterThan(Object.keys(layout).length);
    for (const { name, key, declared } of samples) expect(classify(key).keyClass, `${name}: ${key}`).to.equal(declared);
  });

  it('declares a class for exactly the entries of the storage layout', () => {
    expect(Object.keys(LAYOUT_CLASSES).sort()).to.deep.equal(Object.keys(layout).sort());
  });

  it('never ships bookkeeping: the WAL, replication state, cluster identity, HA data', () => {
    for (const key of [
      `${WAL_PREFIX}0000000000000001`,
      STATE_KEY,
      `${layout.clusterSecrets}info`,
      `${layout.clusterSecrets}ha-forwarding-key`,
      'core/lock',
      'core/node/a',
    ]) {
      expect(classify(key).keyClass, key).to.equal('bookkeeping');
      expect(DR_KEYSET.includes(key), key).to.equal(false);
      expect(performanceKeyset().includes(key), key).to.equal(false);
    }
  });

  it('ships tokens, leases, cubbyhole, wrapping and local mounts to a DR secondary only', () => {
    for (const key of [
      `${layout.tokens}id/abc`,
      `${layout.leases}id/secret/x/1`,
      `${layout.cubbyhole}abc/k`,
      `${layout.wrapping}jwtkey`,
      layout.mountTable(true),
      `${layout.mountData('3f1c', true)}k`,
      `${layout.authData('9a2b', true)}user/bob`,
      layout.auditTable(true),
      `${layout.clusterSecrets}token-salt`,
    ]) {
      expect(classify(key).keyClass, key).to.equal('cluster-local');
      expect(DR_KEYSET.includes(key), key).to.equal(true);
      expect(performanceKeyset().includes(key), key).to.equal(false);
    }
  });

  it('ships replicated state to every secondary, and knows the mount each data key belongs to', () => {
    for (const key of [
      layout.mountTable(false),
      layout.authTable(false),
      `${layout.policies}reader`,
      layout.keyring,
      layout.sealConfig,
      `${layout.identity}entity/1`,
    ]) {
      expect(classify(key), key).to.deep.equal({ keyClass: 'replicated', region: '' });
      expect(DR_KEYSET.includes(key) && performanceKeyset().includes(key), key).to.equal(true);
    }
    expect(classify(`${layout.mountData('3f1c', false)}data/app`)).to.deep.equal({ keyClass: 'replicated', region: 'logical/3f1c/' });
    expect(classify(`${layout.authData('9a2b', false)}user/alice`)).to.deep.equal({ keyClass: 'replicated', region: 'auth/9a2b/' });
    expect(mountRegionOf('logical/')).to.equal(undefined);
  });

  it('leaves a filtered mount out of a performance keyset, and only that', () => {
    const deny = performanceKeyset({ mode: 'deny', prefixes: ['logical/eu/'] });
    expect(deny.includes('logical/eu/data/a')).to.equal(false);
    expect(deny.includes('logical/us/data/a')).to.equal(true);
    expect(deny.includes(layout.mountTable(false))).to.equal(true);
    expect(deny.includes(`${layout.tokens}id/abc`)).to.equal(false);
    const allow = performanceKeyset({ mode: 'allow', prefixes: ['logical/eu/'] });
    expect(allow.includes('logical/eu/data/a')).to.equal(true);
    expect(allow.includes('logical/us/data/a')).to.equal(false);
    expect(allow.includes('auth/up/user/alice')).to.equal(false);
    expect(allow.includes(`${layout.policies}reader`)).to.equal(true);
    expect(allow.id).to.not.equal(deny.id);
    expect(performanceKeyset({ mode: 'deny', prefixes: ['logical/eu/'] }).id).to.equal(deny.id);
  });

  it('lets a prefix delete travel only where it cannot reach keys the keyset leaves home', () => {
    const perf = performanceKeyset();
    expect(perf.includesPrefix('logical/3f1c/')).to.equal(true);
    expect(perf.includesPrefix('')).to.equal(false);
    expect(perf.includesPrefix('lo')).to.equal(false);
    expect(perf.includesPrefix('local/logical/3f1c/')).to.equal(false);
    expect(DR_KEYSET.includesPrefix('local/logical/3f1c/')).to.equal(true);
    expect(DR_KEYSET.includesPrefix('local/')).to.equal(false);
    expect(DR_KEYSET.includesPrefix(layout.replication)).to.equal(false);
    expect(DR_KEYSET.includesPrefix('')).to.equal(false);
    expect(performanceKeyset({ mode: 'deny', prefixes: ['logical/eu/'] }).includesPrefix('logical/eu/')).to.equal(false);
  });
});
