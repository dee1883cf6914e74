import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HclError, parseHcl, type HclValue } from '../core/hcl.js';
import { ConfigError, configFromDocument, type ServerConfig } from './server-config.js';

/**
 * Reads and parses the config at `paths` (Vault's repeatable `-config`): each a file, or a
 * directory whose `*.hcl` and `*.json` files are read in name order. Later files override earlier
 * ones setting by setting (a whole block replaces the block of the same name). Errors name the path.
 */
export async function loadServerConfig(paths: string | readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Readonly<ServerConfig>> {
  const files = await listConfigFiles(typeof paths === 'string' ? [paths] : paths);
  const merged: Record<string, HclValue> = {};
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`${file}: cannot read config file (${(err as NodeJS.ErrnoException).code ?? 'unknown error'})`);
    }
    try {
      Object.assign(merged, parseHcl(text));
    } catch (err) {
      if (err instanceof HclError) throw new ConfigError(`${file}: ${err.message}`);
      throw err;
    }
  }
  return configFromDocument(merged, files.join(', '), env);
}

async function listConfigFiles(paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) throw new ConfigError('no config file given');
  const files: string[] = [];
  for (const path of paths) {
    let entries: string[] | undefined;
    try {
      entries = (await stat(path)).isDirectory() ? await readdir(path) : undefined;
    } catch (err) {
      throw new ConfigError(`${path}: cannot read config file (${(err as NodeJS.ErrnoException).code ?? 'unknown error'})`);
    }
    if (entries === undefined) files.push(path);
    else
      files.push(
        ...entries
          .filter((name) => /\.(hcl|json)$/.test(name))
          .sort()
          .map((name) => join(path, name)),
      );
  }
  if (files.length === 0) throw new ConfigError(`${paths.join(', ')}: no *.hcl or *.json config file found`);
  return files;
}
