/**
 * The generated bindings and the CDKTF example compile under their own tsconfigs (CommonJS, strict), a
 * wrong attribute type is a compile error, and the same app works with cdktn 0.24 (the community
 * continuation of CDKTF): compiled and synthesized to the same stack as with cdktf 0.21.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';
import { repoRoot } from '../../../provider/paths.js';

const exampleDir = join(repoRoot, 'examples', 'cdktf');
const tscBin = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const tsxCli = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');

function run(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, CHECKPOINT_DISABLE: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * Type-checks each snippet as if it were a file in examples/cdktf/replication-topology/ (served from
 * memory, never written to the repository) with examples/cdktf/tsconfig.json, all in one program.
 * Returns, per snippet name, its diagnostics as "TSnnnn: message" lines.
 */
function typeCheckSnippets(snippets: Record<string, string>): Record<string, string[]> {
  const configFile = join(exampleDir, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configFile,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(String(d.messageText));
      },
    },
  );
  if (parsed === undefined) throw new Error(`cannot parse ${configFile}`);
  const fileOf = (name: string) => join(exampleDir, 'replication-topology', `snippet-${name}.ts`);
  const sources = new Map(Object.entries(snippets).map(([name, source]) => [fileOf(name), source]));
  const host = ts.createCompilerHost(parsed.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    const source = sources.get(fileName);
    return source !== undefined ? ts.createSourceFile(fileName, source, languageVersion, true) : getSourceFile(fileName, languageVersion, ...rest);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => sources.has(fileName) || fileExists(fileName);
  const program = ts.createProgram({ rootNames: [...sources.keys()], options: parsed.options, host });
  const result: Record<string, string[]> = {};
  for (const name of Object.keys(snippets)) {
    const file = program.getSourceFile(fileOf(name));
    result[name] = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)].map(
      (d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    );
  }
  return result;
}

const mountSnippet = (mountProps: string) => `
import { App, TerraformStack } from 'cdktf';
import { Mount } from '../../../provider/bindings/providers/ferry/mount';
const stack = new TerraformStack(new App(), 'snippet');
new Mount(stack, 'kv', { path: 'kv', type: 'kv', ${mountProps} });
`;

const secondarySnippet = (props: string) => `
import { App, TerraformStack } from 'cdktf';
import { ReplicationSecondary } from '../../../provider/bindings/providers/ferry/replication-secondary';
new ReplicationSecondary(new TerraformStack(new App(), 's'), 'east', { ${props} });
`;

/** cdk.tf.json without cdktf's metadata ("//" keys carry the library name and version). */
function normalizedStack(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'), (key, value) => (key === '//' ? undefined : value));
}

describe('CDKTF bindings and example: compile-time checks, and cdktf / cdktn', function () {
  this.timeout(120_000);
  let scratch: string;

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'ferry-cdktf-tsc-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('compiles the generated bindings with provider/bindings/tsconfig.json', async () => {
    const res = await run([tscBin, '-p', join('provider', 'bindings', 'tsconfig.json')], repoRoot);
    expect(res.code, res.output).to.equal(0);
  });

  it('compiles the CDKTF example with examples/cdktf/tsconfig.json', async () => {
    const res = await run([tscBin, '-p', join('examples', 'cdktf', 'tsconfig.json')], repoRoot);
    expect(res.code, res.output).to.equal(0);
  });

  describe('type errors in a CDKTF app (snippets type-checked in memory next to the example)', () => {
    let diagnostics: Record<string, string[]>;
    before(() => {
      diagnostics = typeCheckSnippets({
        wellTyped: mountSnippet('local: true, defaultLeaseTtlSeconds: 3600'),
        wrongType: mountSnippet("local: 'yes', defaultLeaseTtlSeconds: '1h'"),
        unknownAttribute: secondarySnippet("token: 'x', wipe: true"),
        missingRequired: secondarySnippet("primaryApiAddr: 'http://127.0.0.1:8200'"),
      });
    });

    it('accepts a well-typed mount (the control for the cases below)', () => {
      expect(diagnostics.wellTyped).to.deep.equal([]);
    });

    it('rejects a wrong attribute type at compile time (local: "yes", defaultLeaseTtlSeconds: "1h")', () => {
      expect(diagnostics.wrongType).to.have.length(2);
      expect(diagnostics.wrongType![0]).to.match(/^TS2322: Type 'string' is not assignable to type 'boolean \| IResolvable( \| undefined)?'/);
      expect(diagnostics.wrongType![1]).to.match(/^TS2322: Type 'string' is not assignable to type 'number'/);
    });

    it('rejects an unknown attribute and a missing required one', () => {
      expect(diagnostics.unknownAttribute!.join('\n')).to.match(/TS2353: Object literal may only specify known properties, and 'wipe' does not exist/);
      expect(diagnostics.missingRequired!.join('\n')).to.match(/TS2345: .*Property 'token' is missing/s);
    });
  });

  it('compiles and synthesizes the same stack with cdktn 0.24 as with cdktf 0.21', async () => {
    // A scratch project: node_modules linked to this checkout's, cdktn bindings, the example with its imports renamed.
    symlinkSync(join(repoRoot, 'node_modules'), join(scratch, 'node_modules'), 'dir');
    const generated = await run(
      ['--import', 'tsx', join('provider', 'bindings-generator.ts'), '--library', 'cdktn', '--out', join(scratch, 'provider', 'bindings')],
      repoRoot,
    );
    expect(generated.code, generated.output).to.equal(0);
    const copy = join(scratch, 'examples', 'cdktf');
    mkdirSync(dirname(copy), { recursive: true });
    cpSync(exampleDir, copy, { recursive: true, filter: (src) => !src.includes('cdktf.out') });
    for (const file of readdirSync(join(copy, 'replication-topology')).filter((f) => f.endsWith('.ts'))) {
      const path = join(copy, 'replication-topology', file);
      writeFileSync(path, readFileSync(path, 'utf8').replaceAll("from 'cdktf'", "from 'cdktn'"));
    }
    expect(readFileSync(join(copy, 'replication-topology', 'main.ts'), 'utf8')).to.contain("from 'cdktn'");

    const compiled = await run([tscBin, '-p', join(copy, 'tsconfig.json')], scratch);
    expect(compiled.code, compiled.output).to.equal(0);
    const [withCdktn, withCdktf] = await Promise.all([
      run([tsxCli, 'main.ts'], join(copy, 'replication-topology'), { CDKTF_OUTDIR: join(scratch, 'out-cdktn') }),
      run([tsxCli, 'main.ts'], join(exampleDir, 'replication-topology'), { CDKTF_OUTDIR: join(scratch, 'out-cdktf') }),
    ]);
    expect(withCdktn.code, withCdktn.output).to.equal(0);
    expect(withCdktf.code, withCdktf.output).to.equal(0);
    const stackFile = (out: string) => join(scratch, out, 'stacks', 'ferry-replication', 'cdk.tf.json');
    const libraryVersion = (out: string) => JSON.parse(readFileSync(stackFile(out), 'utf8'))['//'].metadata.version;
    expect(libraryVersion('out-cdktn')).to.equal('0.24.0');
    expect(libraryVersion('out-cdktf')).to.equal('0.21.0');
    expect(normalizedStack(stackFile('out-cdktn'))).to.deep.equal(normalizedStack(stackFile('out-cdktf')));
  });
});
