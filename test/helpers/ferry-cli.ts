import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FERRY_BIN = path.join(REPO_ROOT, 'bin', 'ferry.js');
const BUILT_CLI = path.join(REPO_ROOT, 'dist', 'server', 'cli', 'main.js');

export interface FerryResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Where `ferry` talks to: the server address, a token (or none) and a HOME for the token helper file. */
export interface FerryTarget {
  readonly addr: string;
  readonly token?: string;
  readonly home?: string;
}

/** Throws unless `npm run build` has produced the CLI the tests spawn. */
export function assertCliBuilt(): void {
  if (!existsSync(BUILT_CLI)) throw new Error(`missing ${BUILT_CLI}: run "npm run build" first`);
}

/**
 * Runs `node bin/ferry.js ARGS` (the built CLI) as its own process against `target`, with no VAULT_*
 * or FERRY_* variables leaking in from the test's environment; `stdin` is piped in.
 */
export function runFerry(args: readonly string[], target: FerryTarget, stdin = ''): Promise<FerryResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(VAULT|FERRY)_/.test(key)) env[key] = value;
  env.VAULT_ADDR = target.addr;
  if (target.token !== undefined) env.VAULT_TOKEN = target.token;
  env.HOME = target.home ?? '/nonexistent';
  env.FERRY_TOKEN_FILE = path.join(env.HOME, '.vault-token');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FERRY_BIN, ...args], { cwd: REPO_ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
