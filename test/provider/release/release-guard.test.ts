import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { requireChangelogEntry, requireCleanTree, requireNewVersion } from '../../../provider/release/release-guard.js';

function git(dir: string, ...args: string[]): string {
  const res = spawnSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', ...args], { cwd: dir, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(res.stderr);
  return res.stdout;
}

describe('provider/release/release-guard', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-guard-'));
    git(dir, 'init', '-q');
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    git(dir, 'add', 'a.txt');
    git(dir, 'commit', '-qm', 'first');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a clean tree and returns its commit and commit time', () => {
    const { commit, commitEpochSeconds } = requireCleanTree(dir);
    expect(commit).to.equal(git(dir, 'rev-parse', 'HEAD').trim());
    expect(commitEpochSeconds).to.equal(Number(git(dir, 'log', '-1', '--format=%ct').trim()));
  });

  it('refuses a modified file and an untracked file, naming them', () => {
    writeFileSync(join(dir, 'a.txt'), 'changed\n');
    writeFileSync(join(dir, 'new.txt'), 'new\n');
    expect(() => requireCleanTree(dir)).to.throw(/refusing to package a work tree with changes[\s\S]*a\.txt[\s\S]*new\.txt/);
  });

  it('refuses a version that already has SHA256SUMS in the releases folder, and accepts a new one', () => {
    mkdirSync(join(dir, 'release', '1.2.3'), { recursive: true });
    expect(() => requireNewVersion(join(dir, 'release'), '1.2.3')).to.not.throw();
    writeFileSync(join(dir, 'release', '1.2.3', 'terraform-provider-ferry_1.2.3_SHA256SUMS'), '');
    expect(() => requireNewVersion(join(dir, 'release'), '1.2.3')).to.throw(/version 1\.2\.3 is already packaged/);
    expect(() => requireNewVersion(join(dir, 'release'), '1.2.4')).to.not.throw();
  });

  it('requires a CHANGELOG.md section for the version', () => {
    const changelog = '# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-12-01\n\n### Added\n- things\n';
    expect(() => requireChangelogEntry(changelog, '0.2.0')).to.not.throw();
    expect(() => requireChangelogEntry(changelog, '0.3.0')).to.throw(/CHANGELOG\.md has no "## \[0\.3\.0\]" section/);
  });
});
