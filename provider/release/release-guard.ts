import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sha256SumsFileName } from './release-layouts.js';

function git(repoDir: string, args: string[]): string {
  const res = spawnSync('git', args, { cwd: repoDir, encoding: 'utf8' });
  if (res.error !== undefined || res.status !== 0)
    throw new Error(`git ${args.join(' ')} failed in ${repoDir}: ${(res.stderr || res.error?.message || '').trim()}`);
  return res.stdout;
}

/**
 * Refuses to package from a work tree with uncommitted or untracked changes: a release must be what its
 * commit says. Returns that commit and its time (the zips' timestamp, so a rebuild is byte-identical).
 */
export function requireCleanTree(repoDir: string): { commit: string; commitEpochSeconds: number } {
  const status = git(repoDir, ['status', '--porcelain', '--untracked-files=normal']);
  const dirty = status.split('\n').filter((l) => l.trim() !== '');
  if (dirty.length > 0) {
    const shown = dirty.slice(0, 10).map((l) => `  ${l}`);
    const more = dirty.length > 10 ? [`  … and ${dirty.length - 10} more`] : [];
    throw new Error(['refusing to package a work tree with changes; commit or stash them first:', ...shown, ...more].join('\n'));
  }
  return commitOf(repoDir);
}

/** HEAD's commit and commit time, without checking the tree (tests package a tree being worked on). */
export function commitOf(repoDir: string): { commit: string; commitEpochSeconds: number } {
  const [commit, time] = git(repoDir, ['log', '-1', '--format=%H %ct']).trim().split(' ') as [string, string];
  return { commit, commitEpochSeconds: Number(time) };
}

/** Refuses a version CHANGELOG.md has no `## [VERSION]` section for: every release says what changed. */
export function requireChangelogEntry(changelog: string, version: string): void {
  const heading = `## [${version}]`;
  if (!changelog.split('\n').some((line) => line.startsWith(heading))) {
    throw new Error(`CHANGELOG.md has no "${heading}" section: describe the release there before packaging it`);
  }
}

/** Refuses a version that already has a release in `releasesDir`: bump package.json's `version` instead. */
export function requireNewVersion(releasesDir: string, version: string): void {
  if (existsSync(join(releasesDir, version, sha256SumsFileName(version)))) {
    throw new Error(
      `version ${version} is already packaged in ${join(releasesDir, version)}; bump "version" in package.json (and CHANGELOG.md) for a new release`,
    );
  }
}
