import { expect } from 'chai';
import {
  checkCas,
  defaultConfig,
  destroyVersions,
  metadataView,
  newKeyMetadata,
  parseCustomMetadata,
  parseVersionList,
  recordNewVersion,
  softDeleteVersions,
  undeleteVersions,
  versionState,
} from '../../../../server/backends/kv/kv-v2-metadata.js';
import { VaultError } from '../../../../server/core/vault-error.js';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000);

describe('kv-v2-metadata', () => {
  it('numbers versions from 1 and tracks current and oldest', () => {
    const meta = newKeyMetadata(at(0));
    expect(recordNewVersion(meta, at(1), defaultConfig())).to.deep.equal({ version: 1, pruned: [] });
    expect(recordNewVersion(meta, at(2), defaultConfig())).to.deep.equal({ version: 2, pruned: [] });
    expect(meta).to.include({ current_version: 2, oldest_version: 1 });
    expect(meta.versions['2']).to.deep.equal({ created_time: at(2).toISOString(), deletion_time: '', destroyed: false });
  });

  it('prunes by the key setting first, then the mount setting, then 10', () => {
    const byKey = newKeyMetadata(at(0));
    byKey.max_versions = 2;
    const config = { ...defaultConfig(), max_versions: 4 };
    for (let i = 0; i < 3; i++) recordNewVersion(byKey, at(i), config);
    expect(Object.keys(byKey.versions)).to.deep.equal(['2', '3']);
    const byMount = newKeyMetadata(at(0));
    const pruned = [];
    for (let i = 0; i < 6; i++) pruned.push(...recordNewVersion(byMount, at(i), config).pruned);
    expect(pruned).to.deep.equal([1, 2]);
    expect(byMount.oldest_version).to.equal(3);
  });

  it('treats a version deleted at or before now as deleted, a later deletion time as scheduled', () => {
    const meta = newKeyMetadata(at(0));
    recordNewVersion(meta, at(0), { ...defaultConfig(), delete_version_after_seconds: 10 });
    const v = meta.versions['1']!;
    expect(versionState(v, at(9))).to.equal('live');
    expect(versionState(v, at(10))).to.equal('deleted');
  });

  it('soft-deletes, undeletes and destroys; destroy wins over undelete', () => {
    const meta = newKeyMetadata(at(0));
    for (let i = 0; i < 3; i++) recordNewVersion(meta, at(i), defaultConfig());
    softDeleteVersions(meta, [1, 2, 99], at(5));
    expect(versionState(meta.versions['1']!, at(6))).to.equal('deleted');
    expect(destroyVersions(meta, [2, 2, 3, 99], at(7))).to.deep.equal([2, 3]);
    expect(destroyVersions(meta, [2], at(8))).to.deep.equal([]);
    undeleteVersions(meta, [1, 2], at(9));
    expect(versionState(meta.versions['1']!, at(10))).to.equal('live');
    expect(versionState(meta.versions['2']!, at(10))).to.equal('destroyed');
  });

  it('checks cas against the current version, 0 meaning "does not exist yet"', () => {
    const config = defaultConfig();
    expect(() => checkCas(undefined, 0, config)).not.to.throw();
    expect(() => checkCas(undefined, 1, config)).to.throw(VaultError, 'did not match');
    const meta = newKeyMetadata(at(0));
    recordNewVersion(meta, at(0), config);
    expect(() => checkCas(meta, 1, config)).not.to.throw();
    expect(() => checkCas(meta, 0, config)).to.throw(VaultError, 'did not match');
    expect(() => checkCas(meta, undefined, config)).not.to.throw();
    expect(() => checkCas(meta, undefined, { ...config, cas_required: true })).to.throw(VaultError, 'required');
  });

  it('renders metadata with versions in numeric order and a Go duration', () => {
    const meta = newKeyMetadata(at(0));
    for (let i = 0; i < 11; i++) recordNewVersion(meta, at(i), { ...defaultConfig(), max_versions: 20 });
    meta.delete_version_after_seconds = 3600;
    const view = metadataView(meta);
    expect(Object.keys(view.versions as object)).to.deep.equal(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);
    expect(view.delete_version_after).to.equal('1h0m0s');
  });

  it('validates custom_metadata and versions without quoting them', () => {
    expect(parseCustomMetadata({ a: 'b' })).to.deep.equal({ a: 'b' });
    expect(() => parseCustomMetadata({ a: 1 })).to.throw(VaultError, 'must be strings');
    expect(() => parseCustomMetadata({ a: 'x'.repeat(513) })).to.throw(VaultError, 'at most 512 bytes');
    expect(() => parseCustomMetadata(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])))).to.throw(VaultError, 'at most 64 keys');
    expect(parseVersionList(['1', ' 2 '])).to.deep.equal([1, 2]);
    expect(() => parseVersionList(['-1'])).to.throw(VaultError, 'positive integers');
  });
});
