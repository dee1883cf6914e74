/**
 * provider/bindings is generated from schemas/ferry-provider.schema.json (`npm run gen:bindings`) and
 * committed: these tests regenerate it — with no terraform on PATH — and fail on any drift.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { expect } from 'chai';
import { bindingsDir, generatedHeader, listFiles } from '../../../provider/bindings-generator.js';
import { providerSchemaFile, repoRoot } from '../../../provider/paths.js';

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** PATH without any directory that holds a `terraform` executable: generation must not need it. */
function pathWithoutTerraform(): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '' && !existsSync(join(dir, 'terraform')))
    .join(delimiter);
}

/** Runs the generator CLI (what `npm run gen:bindings` runs) with terraform off PATH. */
function runGenerator(args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('provider', 'bindings-generator.ts'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, PATH: pathWithoutTerraform(), CHECKPOINT_DISABLE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('provider/bindings (generated CDKTF classes)', function () {
  this.timeout(60_000);
  let scratch: string;

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'ferry-bindings-test-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('matches a fresh generation from schemas/ (npm run gen:bindings -- --check), with terraform off PATH', async () => {
    const res = await runGenerator(['--check']);
    expect(res.code, res.stdout + res.stderr).to.equal(0);
    expect(res.stdout).to.match(/match .*ferry-provider\.schema\.json \(\d+ files\)/);
  });

  it('regenerates into another folder byte for byte the same as the committed files', async () => {
    const out = join(scratch, 'regenerated');
    const res = await runGenerator(['--out', out]);
    expect(res.code, res.stderr).to.equal(0);
    const committed = listFiles(bindingsDir);
    expect(listFiles(out)).to.deep.equal(committed);
    for (const file of committed) expect(readFileSync(join(out, file), 'utf8'), file).to.equal(readFileSync(join(bindingsDir, file), 'utf8'));
  });

  it('reports drift when schemas/ changes without regenerating', async () => {
    const schema = JSON.parse(readFileSync(providerSchemaFile, 'utf8'));
    const provider = Object.values(schema.provider_schemas)[0] as { resource_schemas: Record<string, { block: { attributes: Record<string, unknown> } }> };
    const mount = provider.resource_schemas.ferry_mount;
    expect(mount, 'ferry_mount in the schema').to.not.equal(undefined);
    mount!.block.attributes.seal_wrap = { type: 'bool', description_kind: 'plain', optional: true };
    provider.resource_schemas.ferry_token_role = {
      version: 0,
      block: { attributes: { name: { type: 'string', description_kind: 'plain', required: true } } },
    } as never;
    const changed = join(scratch, 'changed.schema.json');
    writeFileSync(changed, JSON.stringify(schema, null, 2));
    const res = await runGenerator(['--check', '--schema', changed]);
    expect(res.code).to.equal(1);
    expect(res.stderr).to.contain('out of date');
    expect(res.stderr).to.contain('changed providers/ferry/mount/index.ts');
    expect(res.stderr).to.contain('missing providers/ferry/token-role/index.ts');
  });

  it('marks every generated source as generated, and only bindings of the checked-in schema are present', () => {
    const files = listFiles(bindingsDir);
    expect(files).to.include.members([
      'package.json',
      'tsconfig.json',
      'providers/ferry/index.ts',
      'providers/ferry/provider/index.ts',
      'providers/ferry/mount/index.ts',
      'providers/ferry/audit/index.ts',
      'providers/ferry/policy/index.ts',
      'providers/ferry/replication-primary/index.ts',
      'providers/ferry/replication-secondary/index.ts',
      'providers/ferry/replication-secondary-token/index.ts',
      'providers/ferry/data-ferry-replication-status/index.ts',
    ]);
    for (const file of files.filter((f) => f.endsWith('.ts') || f === 'tsconfig.json')) {
      expect(readFileSync(join(bindingsDir, file), 'utf8').split('\n')[0], file).to.equal(generatedHeader);
    }
    expect(readFileSync(join(bindingsDir, 'providers/ferry/provider/index.ts'), 'utf8'))
      .to.contain("terraformProviderSource: 'registry.terraform.io/ferry-project/ferry'")
      .and.to.contain("providerVersionConstraint: '~> 0.1'");
  });

  it('generates cdktn bindings that differ only in the library they import (--library cdktn)', async () => {
    const out = join(scratch, 'cdktn');
    const res = await runGenerator(['--out', out, '--library', 'cdktn']);
    expect(res.code, res.stderr).to.equal(0);
    for (const file of listFiles(bindingsDir)) {
      const cdktf = readFileSync(join(bindingsDir, file), 'utf8');
      const cdktn = readFileSync(join(out, file), 'utf8');
      expect(cdktn.replace("from 'cdktn';", "from 'cdktf';"), file).to.equal(cdktf);
      if (cdktf.includes("from 'cdktf'")) expect(cdktn, file).to.contain("import * as cdktf from 'cdktn';");
    }
  });
});
