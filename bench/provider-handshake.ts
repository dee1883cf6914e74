/**
 * Provider benchmarks: (1) spawn → handshake line of the provider versus a bare `node -e 0`, measured side
 * by side in one run (goal: ratio ≤ 2; Terraform launches the provider 3–5 times per command), and spawn →
 * first RPC answered (GetProviderSchema over the real mutual-TLS connection, as Terraform's first call),
 * so that work moved behind the handshake line cannot pass for a faster start; (2) when the Ferry server
 * is built, wall time of `terraform plan` and `apply` for 1 primary + 3 secondaries + 20 mounts.
 * `runProviderBench()` returns the report lines; run this file directly to print them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/light.js';
import { VaultClient } from '../server/api-client/vault-client.js';
import { magicCookieValue, parseHandshakeLine } from '../provider/plugin/handshake.js';
import { generateServerKeys, issueServerCertificate, type ServerCertificate } from '../provider/plugin/server-certificate.js';
import { loadVendor } from '../provider/plugin/vendor.js';
import { buildServiceDefinitions } from '../provider/protocol/grpc-services.js';
import { protoDescriptorFile, providerBundleLoaderFile, providerLauncherFile, providerSourceAddress, repoRoot } from '../provider/paths.js';
import { baselinePath } from './baseline-build.js';
import { freePortPair } from './bench-cluster.js';

/** Launches per command; the commands alternate so machine load hits all alike. */
const runs = Number(process.env['FERRY_BENCH_HANDSHAKE_RUNS'] ?? '31');
/** A baseline build's provider launcher, timed in the same interleaved rounds (before/after in one run). */
const baselineLauncher = baselinePath('FERRY_BENCH_BASELINE_PROVIDER');

/** Terraform's side of AutoMTLS: a one-time client identity (go-plugin's certificate profile). */
async function clientIdentity(): Promise<ServerCertificate> {
  return issueServerCertificate(await loadVendor(), await generateServerKeys());
}

/**
 * Milliseconds from spawn until the first stdout byte (the handshake line). The process then gets SIGTERM
 * after `settleMs` (the provider removes its socket) and the promise settles once it has gone, so launches
 * never overlap.
 */
function timeToFirstLine(command: string, args: string[], env: NodeJS.ProcessEnv, settleMs = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let ms: number | undefined;
    child.stdout.once('data', () => {
      ms = Number(process.hrtime.bigint() - started) / 1e6;
      setTimeout(() => child.kill('SIGTERM'), settleMs); // a no-op when it has exited already
    });
    child.once('error', reject);
    // 'close' comes after stdout has ended, so a line that was written has been seen by then.
    child.once('close', (code) => (ms === undefined ? reject(new Error(`${command} exited (${code}) without writing a line`)) : resolve(ms)));
  });
}

const pemOfDer = (der: Buffer): string => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;

/**
 * Milliseconds from spawn until the provider has answered GetProviderSchema over mutual TLS, as Terraform
 * does first: read the handshake line, trust the certificate it carries, connect to its socket with the
 * client identity, call. The client's own set-up (the gRPC client, the descriptor) is loaded beforehand;
 * its per-launch work (channel, TLS handshake) is timed, as Terraform's is.
 */
function timeToFirstRpc(
  env: NodeJS.ProcessEnv,
  identity: ServerCertificate,
  provider: grpc.ServiceDefinition,
  launcher = providerLauncherFile,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(launcher, [], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    let ms: number | undefined;
    let failure: Error | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.includes('\n')) return;
      stdout += chunk.toString();
      if (!stdout.includes('\n')) return;
      const handshake = parseHandshakeLine(stdout.slice(0, stdout.indexOf('\n') + 1));
      if (handshake.serverCertDer === undefined) {
        failure = new Error('the handshake line carries no server certificate');
        child.kill('SIGTERM');
        return;
      }
      const credentials = grpc.credentials.createSsl(
        Buffer.from(pemOfDer(handshake.serverCertDer)),
        Buffer.from(identity.keyPem),
        Buffer.from(identity.certPem),
      );
      const Client = grpc.makeGenericClientConstructor(provider, 'Provider');
      const client = new Client(`unix:${handshake.address}`, credentials, {
        'grpc.ssl_target_name_override': 'localhost',
        'grpc.default_authority': 'localhost',
      });
      type Unary = (request: object, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null) => void) => void;
      const getProviderSchema = (client as unknown as Record<string, Unary>)['GetProviderSchema'];
      if (getProviderSchema === undefined) throw new Error('the descriptor has no GetProviderSchema');
      getProviderSchema.call(client, {}, { deadline: Date.now() + 30_000 }, (err) => {
        if (err === null) ms = Number(process.hrtime.bigint() - started) / 1e6;
        else failure = err;
        client.close();
        child.kill('SIGTERM');
      });
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (ms !== undefined) resolve(ms);
      else reject(failure ?? new Error(`the provider exited (${code}) before answering GetProviderSchema`));
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export async function measureHandshake(): Promise<string[]> {
  if (!existsSync(providerBundleLoaderFile)) throw new Error(`${providerBundleLoaderFile} is missing: run npm run build`);
  const identity = await clientIdentity();
  const definitions = buildServiceDefinitions(protobuf, JSON.parse(readFileSync(protoDescriptorFile, 'utf8')) as object);
  const env = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    TF_PLUGIN_MAGIC_COOKIE: magicCookieValue,
    PLUGIN_PROTOCOL_VERSIONS: '5,6',
    PLUGIN_CLIENT_CERT: identity.certPem,
  };
  // `npm run build` leaves a warm V8 code cache; one warm-up launch restores it if a concurrent build just
  // replaced the bundle. The launcher (sh → exec node) is timed, as Terraform runs it.
  await timeToFirstLine(providerLauncherFile, [], env, 500);
  await new Promise((r) => setTimeout(r, 600));
  await timeToFirstRpc(env, identity, definitions.provider); // warms the client side's own code paths
  const bare: number[] = [];
  const provider: number[] = [];
  const firstRpc: number[] = [];
  const baseline = { handshake: [] as number[], firstRpc: [] as number[] };
  if (baselineLauncher !== undefined) {
    await timeToFirstLine(baselineLauncher, [], env, 500);
    await new Promise((r) => setTimeout(r, 600));
  }
  for (let i = 0; i < runs; i++) {
    // `node -e 0` prints nothing, so time the same process writing one line: the bare start plus a write.
    bare.push(await timeToFirstLine(process.execPath, ['-e', 'process.stdout.write("1\\n")'], env));
    provider.push(await timeToFirstLine(providerLauncherFile, [], env));
    firstRpc.push(await timeToFirstRpc(env, identity, definitions.provider));
    if (baselineLauncher !== undefined) {
      baseline.handshake.push(await timeToFirstLine(baselineLauncher, [], env));
      baseline.firstRpc.push(await timeToFirstRpc(env, identity, definitions.provider, baselineLauncher));
    }
  }
  const ratio = median(provider) / median(bare);
  return [
    `provider handshake: median ${median(provider).toFixed(1)} ms (min ${Math.min(...provider).toFixed(1)}) over ${runs} launches, TLS certificate included`,
    `first RPC answered: median ${median(firstRpc).toFixed(1)} ms (min ${Math.min(...firstRpc).toFixed(1)}) from spawn to GetProviderSchema answered over mTLS, ${(median(firstRpc) / median(bare)).toFixed(2)}x bare node`,
    `bare node start:    median ${median(bare).toFixed(1)} ms (min ${Math.min(...bare).toFixed(1)})`,
    `handshake / node:   ${ratio.toFixed(2)}x (goal <= 2.00x) ${ratio <= 2 ? 'OK' : 'OVER GOAL'}`,
    ...(baselineLauncher === undefined
      ? []
      : [
          `baseline (${baselineLauncher}): handshake median ${median(baseline.handshake).toFixed(1)} ms = ${(median(baseline.handshake) / median(bare)).toFixed(2)}x bare node; ` +
            `first RPC median ${median(baseline.firstRpc).toFixed(1)} ms = ${(median(baseline.firstRpc) / median(bare)).toFixed(2)}x`,
        ]),
    `load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')} (1 / 5 / 15 min)`,
  ];
}

async function startDevServer(): Promise<{ addr: string; stop: () => void }> {
  const port = await freePortPair();
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'bin', 'ferry.js'), 'server', '-dev', '-dev-no-store-token', '-dev-root-token-id=ROOT', `-dev-listen-address=127.0.0.1:${port}`],
    { stdio: 'ignore' },
  );
  const addr = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await new VaultClient({ address: addr }).send('GET', 'sys/health');
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`ferry dev server on ${addr} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { addr, stop: () => child.kill('SIGKILL') };
}

function topologyConfig(primary: string, secondaries: string[], mounts: number): string {
  const lines = [
    'terraform {\n  required_providers {\n    ferry = { source = "ferry-project/ferry" }\n  }\n}',
    `provider "ferry" {\n  alias = "primary"\n  address = "${primary}"\n  token = "ROOT"\n}`,
    'resource "ferry_replication_primary" "p" {\n  provider = ferry.primary\n}',
  ];
  secondaries.forEach((addr, i) =>
    lines.push(
      `provider "ferry" {\n  alias = "s${i}"\n  address = "${addr}"\n  token = "ROOT"\n}`,
      `resource "ferry_replication_secondary_token" "t${i}" {\n  provider = ferry.primary\n  secondary_id = "s${i}"\n  depends_on = [ferry_replication_primary.p]\n}`,
      `resource "ferry_replication_secondary" "s${i}" {\n  provider = ferry.s${i}\n  token = ferry_replication_secondary_token.t${i}.token\n  depends_on = [${Array.from({ length: mounts }, (_, m) => `ferry_mount.m${m}`).join(', ')}]\n}`,
    ),
  );
  for (let m = 0; m < mounts; m++) {
    lines.push(
      `resource "ferry_mount" "m${m}" {\n  provider = ferry.primary\n  path = "kv-${m}"\n  type = "kv"\n  depends_on = [ferry_replication_primary.p]\n}`,
    );
  }
  return lines.join('\n\n') + '\n';
}

export async function measureTopology(): Promise<string[]> {
  if (!existsSync(join(repoRoot, 'dist', 'server', 'cli', 'main.js'))) return ['topology plan/apply: skipped (the Ferry server is not built)'];
  if (spawnSync('terraform', ['version'], { env: { ...process.env, CHECKPOINT_DISABLE: '1' } }).status !== 0) {
    return ['topology plan/apply: skipped (terraform is not on PATH)'];
  }
  const servers = await Promise.all([0, 1, 2, 3].map(() => startDevServer()));
  const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-'));
  try {
    const cli = join(dir, 'terraform.rc');
    writeFileSync(
      cli,
      `provider_installation {\n  dev_overrides {\n    "${providerSourceAddress}" = "${dirname(providerLauncherFile)}"\n  }\n  direct {}\n}\n`,
    );
    const [primary, ...secondaries] = servers as [(typeof servers)[0], ...typeof servers];
    writeFileSync(
      join(dir, 'main.tf'),
      topologyConfig(
        primary.addr,
        secondaries.map((s) => s.addr),
        20,
      ),
    );
    const env = { ...process.env, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: cli, TF_IN_AUTOMATION: '1' };
    const timed = (args: string[]): number => {
      const started = Date.now();
      const res = spawnSync('terraform', args, { cwd: dir, env, encoding: 'utf8' });
      if (res.status !== 0 && !(args.includes('-detailed-exitcode') && res.status === 2)) {
        throw new Error(`terraform ${args.join(' ')} failed: ${(res.stderr || res.stdout).slice(-1500)}`);
      }
      return Date.now() - started;
    };
    const plan = timed(['plan', '-no-color']);
    // Terraform's default parallelism (10): the three activations run concurrently against the primary.
    const apply = timed(['apply', '-auto-approve', '-no-color']);
    const noop = timed(['plan', '-detailed-exitcode', '-no-color']);
    return [
      'topology: 1 primary + 3 secondaries + 20 mounts (real terraform, default -parallelism=10, 4 Ferry dev servers)',
      `  terraform plan (create):  ${plan} ms`,
      `  terraform apply:          ${apply} ms`,
      `  terraform plan (no-op):   ${noop} ms`,
    ];
  } finally {
    servers.forEach((s) => s.stop());
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runProviderBench(): Promise<string[]> {
  const topology = await measureTopology().catch((err: unknown) => [`topology plan/apply: FAILED: ${err instanceof Error ? err.message : String(err)}`]);
  return [...(await measureHandshake()), ...topology];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runProviderBench().then(
    (lines) => process.stdout.write(lines.join('\n') + '\n'),
    (err: unknown) => {
      process.stderr.write(`provider bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
