/**
 * Runs the real `terraform` binary against the provider in this checkout (dev_overrides in a temporary
 * CLI config, checkpoint disabled). A missing terraform is an error, never a skip: CI must not pass quietly.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { providerLauncherFile, providerSourceAddress } from '../../../provider/paths.js';

export interface TerraformResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Throws a loud error when terraform is not on PATH. */
export function requireTerraform(): string {
  const res = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
  if (res.error !== undefined || res.status !== 0) {
    throw new Error(
      'TERRAFORM CLI NOT FOUND: these tests drive the real `terraform` binary and must not be skipped. ' +
        `Install Terraform >= 1.6 and put it on PATH (${res.error?.message ?? res.stderr}).`,
    );
  }
  return (JSON.parse(res.stdout) as { terraform_version: string }).terraform_version;
}

export class TerraformWorkdir {
  readonly dir: string;
  readonly cliConfigFile: string;

  constructor(prefix = 'ferry-tf-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    this.cliConfigFile = join(this.dir, 'terraform.rc');
    writeFileSync(
      this.cliConfigFile,
      [
        'provider_installation {',
        '  dev_overrides {',
        `    ${JSON.stringify(providerSourceAddress)} = ${JSON.stringify(dirname(providerLauncherFile))}`,
        '  }',
        '  direct {}',
        '}',
        '',
      ].join('\n'),
    );
  }

  write(name: string, content: string): void {
    writeFileSync(join(this.dir, name), content);
  }

  async run(args: string[], env: Record<string, string> = {}, timeoutMs = 180_000): Promise<TerraformResult> {
    return await new Promise<TerraformResult>((resolve, reject) => {
      const child = spawn('terraform', args, {
        cwd: this.dir,
        env: {
          ...process.env,
          CHECKPOINT_DISABLE: '1',
          TF_CLI_CONFIG_FILE: this.cliConfigFile,
          TF_IN_AUTOMATION: '1',
          TF_INPUT: '0',
          TF_LOG: '',
          TF_LOG_PROVIDER: '',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`terraform ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
      }, timeoutMs);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Runs terraform and throws with its output unless it exits with one of `codes`. */
  async expect(args: string[], codes: number[] = [0], env: Record<string, string> = {}): Promise<TerraformResult> {
    const res = await this.run(args, env);
    if (res.code === null || !codes.includes(res.code)) {
      throw new Error(`terraform ${args.join(' ')} exited ${res.code}, want ${codes.join('|')}\n--- stdout ---\n${res.stdout}\n--- stderr ---\n${res.stderr}`);
    }
    return res;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
