import { spawn } from 'node:child_process';
import { builtinModules } from 'node:module';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildResult, type Metafile, type Plugin } from 'esbuild';
import { protoDescriptorFile, providerBundleDir, providerSchemaFile, providerSourceAddress, repoRoot } from '../paths.js';
import { buildServiceDefinitions } from '../protocol/grpc-services.js';
import type { ProviderSchemaFile } from '../protocol/schema-messages.js';
import { encodeSchemaAnswer } from './bundled-schema-answer.js';
import { lateVendorBundleName, providerBundleName } from './bundle-loader.js';
import { magicCookieValue } from './handshake.js';
import { isInsideLateVendor, isLateVendorSpecifier, lateVendorHookKey } from './late-vendor.js';
import { generateServerKeys, issueServerCertificate } from './server-certificate.js';
import { loadVendor } from './vendor.js';

/** Plain ES5 that refuses a node older than the launcher's need_node; it opens loader.cjs. */
const nodeCheckFile = join(repoRoot, 'provider', 'bin', 'node-check.cjs');

/** What `buildProviderBundle` wrote. */
export interface ProviderBundle {
  loaderFile: string;
  bundleFile: string;
  /** The libraries loaded after the handshake (late-vendor.ts). */
  lateVendorFile: string;
  /** The import specifiers the provider bundle takes from it. */
  lateVendorModules: string[];
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * A dynamic `import()` left in the bundle would fail under vm.Script (no module loader there), and a
 * `require` of a package would reach into node_modules again: only node built-ins may stay external.
 */
function assertSelfContained(metafile: Metafile, output: string): void {
  const outside = Object.values(metafile.outputs)
    .flatMap((o) => o.imports)
    .filter((i) => i.external === true && !builtins.has(i.path))
    .map((i) => `${i.kind} ${i.path}`);
  if (outside.length > 0) throw new Error(`${output} is not self-contained: ${[...new Set(outside)].join(', ')}`);
}

/**
 * Leaves the late vendor packages (late-vendor.ts) out of the provider bundle: each import of one, from
 * outside those packages, becomes a module that asks the loader's hook for it. Records what was asked for.
 */
function lateVendorPlugin(requested: Set<string>): Plugin {
  const namespace = 'ferry-late-vendor';
  return {
    name: namespace,
    setup(builder) {
      builder.onResolve({ filter: /^[@a-z]/ }, (args) => {
        if (!isLateVendorSpecifier(args.path) || isInsideLateVendor(args.importer)) return undefined;
        requested.add(args.path);
        return { path: args.path, namespace };
      });
      builder.onLoad({ filter: /.*/, namespace }, (args) => ({
        contents: `module.exports = globalThis[Symbol.for(${JSON.stringify(lateVendorHookKey.description)})](${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
    },
  };
}

/**
 * Bundles the whole provider (provider/main.ts and every dependency it loads, the lazily loaded engine
 * included) into one CommonJS file, plus the small loader the launcher runs (bundle-loader.ts). Part of
 * `npm run build`; the output lives under dist/ and is never checked in.
 */
export async function buildProviderBundle(outDir = providerBundleDir): Promise<ProviderBundle> {
  mkdirSync(outDir, { recursive: true });
  // Code caches of an earlier bundle are useless (the loader would not pick them up anyway). Temporary files
  // are left alone: they may belong to a build or a provider launch running right now.
  for (const name of readdirSync(outDir)) if (name.endsWith('.v8cache')) rmSync(join(outDir, name), { force: true });
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    // Every non-ASCII character escaped: bundle-loader.ts reads the bundle as latin1, which skips UTF-8 decoding.
    charset: 'ascii',
    legalComments: 'linked',
    logLevel: 'warning',
    metafile: true,
    write: false,
  } as const;
  const bundleFile = join(outDir, providerBundleName);
  const { default: protobuf } = await import('protobufjs/light.js');
  const services = buildServiceDefinitions(protobuf, JSON.parse(readFileSync(protoDescriptorFile, 'utf8')) as object);
  const schemaAnswer = encodeSchemaAnswer(
    services.provider['GetProviderSchema'],
    JSON.parse(readFileSync(providerSchemaFile, 'utf8')) as ProviderSchemaFile,
    providerSourceAddress,
  );
  const lateVendorModules = new Set<string>();
  const provider = await build({
    ...common,
    entryPoints: [join(repoRoot, 'provider', 'main.ts')],
    outfile: bundleFile,
    // paths.ts finds the repository (schemas/) from its own location; in the bundle that is the bundle file.
    define: { 'import.meta.url': '__ferryBundleUrl', FERRY_ENCODED_SCHEMA_ANSWER: JSON.stringify(schemaAnswer.toString('base64')) },
    banner: { js: 'var __ferryBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [lateVendorPlugin(lateVendorModules)],
  });
  assertSelfContained(provider.metafile, bundleFile);
  const lateVendorFile = join(outDir, lateVendorBundleName);
  const requested = [...lateVendorModules].sort();
  const lateVendor = await build({
    ...common,
    stdin: {
      // Getters: each package initialises when first asked for, as it would from node_modules.
      contents: `module.exports = {\n${requested.map((id) => `  get ${JSON.stringify(id)}() { return require(${JSON.stringify(id)}); },\n`).join('')}};\n`,
      resolveDir: join(repoRoot, 'provider', 'plugin'),
      sourcefile: 'late-vendor-entry.js',
    },
    outfile: lateVendorFile,
  });
  assertSelfContained(lateVendor.metafile, lateVendorFile);
  const loaderFile = join(outDir, 'loader.cjs');
  const loader = await build({
    ...common,
    entryPoints: [join(repoRoot, 'provider', 'plugin', 'bundle-loader.ts')],
    outfile: loaderFile,
    // The node version check runs first, in the file the launcher starts (a separate `node -r` preload cost
    // about 1 ms a launch); the loader is lowered to syntax an old node parses, so that node gets to the check.
    target: 'node12',
    banner: { js: readFileSync(nodeCheckFile, 'utf8') },
  });
  assertSelfContained(loader.metafile, loaderFile);
  // Terraform may be launching the provider right now (a rebuild during a test run, another shell): each
  // file is replaced whole, never seen half-written. The bundles go first; the loader only names them.
  writeAtomically(lateVendor);
  writeAtomically(provider);
  writeAtomically(loader);
  await warmCodeCache(loaderFile);
  return { loaderFile, bundleFile, lateVendorFile, lateVendorModules: requested };
}

function writeAtomically(result: BuildResult<{ write: false }>): void {
  for (const file of result.outputFiles) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, file.contents);
    renameSync(tmp, file.path);
  }
}

/** Node flags of the launcher (provider/bin/terraform-provider-ferry); V8's code cache is per flag set. */
export const launcherNodeFlags = ['--use-openssl-ca'];

/**
 * Launches the fresh bundle once the way Terraform does (magic cookie, a client certificate) and stops it
 * after its handshake line, which writes V8's code cache: the first `terraform` run after a build starts
 * as fast as every later one. Doubles as a smoke test — a bundle that cannot start fails the build.
 */
async function warmCodeCache(loaderFile: string, timeoutMs = 30_000): Promise<void> {
  const client = issueServerCertificate(await loadVendor(), await generateServerKeys());
  const child = spawn(process.execPath, [...launcherNodeFlags, loaderFile], {
    env: { PATH: process.env['PATH'] ?? '', TF_PLUGIN_MAGIC_COOKIE: magicCookieValue, PLUGIN_PROTOCOL_VERSIONS: '6', PLUGIN_CLIENT_CERT: client.certPem },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const handshake = await Promise.race([new Promise<boolean>((resolve) => child.stdout.once('data', () => resolve(true))), exited.then(() => false)]);
    if (!handshake) throw new Error(`the bundled provider exited before its handshake line: ${stderr.trim()}`);
    child.kill('SIGTERM'); // the provider saves its code cache on the way out
    const code = await exited;
    if (code !== 0) throw new Error(`the bundled provider exited with ${code} after SIGTERM: ${stderr.trim()}`);
  } finally {
    clearTimeout(timer);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildProviderBundle().then(
    (out) => process.stderr.write(`provider bundle: ${out.bundleFile}\n`),
    (err: unknown) => {
      process.stderr.write(`provider bundle failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
