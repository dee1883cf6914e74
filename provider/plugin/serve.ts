import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerCredentials } from '@grpc/grpc-js';
import type { ProviderEngine } from '../framework/provider-engine.js';
import { protoDescriptorFile, providerSchemaFile, providerSourceAddress } from '../paths.js';
import { buildServiceDefinitions } from '../protocol/grpc-services.js';
import { bundledSchemaAnswer } from './bundled-schema-answer.js';
import { createProviderService } from '../protocol/provider-service.js';
import type { ProviderSchemaFile } from '../protocol/schema-messages.js';
import { formatHandshakeLine, type PluginEnv } from './handshake.js';
import { createDeferredLog } from './deferred-log.js';
import { createHclogLogger, type HclogLevel } from './hclog-logger.js';
import type { ProviderLog } from '../protocol/provider-log.js';
import { generateServerKeys, issueServerCertificate } from './server-certificate.js';
import { isRunningFromBundle, loaderMarks, saveCodeCache } from './code-cache.js';
import type { protobuf as ProtobufRuntime } from './protobuf-runtime.js';
import { loadLogVendor, loadVendor } from './vendor.js';

export interface ServeOptions {
  env: PluginEnv;
  logLevel: HclogLevel | 'silent';
  /** Debug (reattach) mode: plaintext, prints TF_REATTACH_PROVIDERS instead of the handshake line. */
  debug: boolean;
  /** Print startup phase timings (ms since process start) to stderr. */
  traceStartup?: boolean;
  /** Loads the provider implementation; called on the first RPC that needs it. */
  loadEngine: () => Promise<ProviderEngine<unknown>>;
}

const maxMessageBytes = 256 << 20; // as terraform-plugin-go; grpc-js's 4 MiB default breaks on big states

/**
 * Serves tfplugin6.Provider, plugin.GRPCController and grpc.health.v1.Health on a fresh unix socket and
 * announces it: the go-plugin handshake line on stdout (managed by Terraform) or the reattach JSON (debug).
 */
export async function serveProvider(options: ServeOptions): Promise<void> {
  // Only when tracing: the first use of the `performance` global loads perf_hooks (8 modules, about 0.4 ms).
  const marks: Array<[string, number]> = options.traceStartup ? [...loaderMarks(), ['serve', performance.now()]] : [];
  const mark = (name: string): void => {
    if (options.traceStartup) marks.push([name, performance.now()]);
  };
  const useTls = !options.debug && options.env.clientCertPem !== undefined;
  const keys = useTls ? generateServerKeys() : undefined; // key generation overlaps module loading
  const vendor = await loadVendor();
  mark('vendor');
  const log = createDeferredLog(options.logLevel, async () => createHclogLogger(await loadLogVendor(), options.logLevel));
  const pluginLog = log.child({ '@module': 'provider.terraform-provider-ferry.plugin' });
  const { grpc } = vendor;

  // protobufjs is needed from the first request with fields on. In the bundle its import settles in a
  // microtask right after the handshake line (a bundled module initialises synchronously), before any
  // connection is read; elsewhere (tests, dist/) it is a real module load, done before the line.
  let protobuf: typeof ProtobufRuntime | undefined = isRunningFromBundle() ? undefined : (await import('./protobuf-runtime.js')).protobuf;
  const protobufRuntime = (): typeof ProtobufRuntime => {
    if (protobuf === undefined) throw new Error('the protobuf runtime is still loading');
    return protobuf;
  };
  const services = buildServiceDefinitions(protobufRuntime, JSON.parse(readFileSync(protoDescriptorFile, 'utf8')) as object);
  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
  });
  const socketPath = join(options.env.socketDir ?? tmpdir(), `plugin${randomBytes(6).toString('hex')}`);

  let schemaFile: ProviderSchemaFile | undefined;
  let enginePromise: Promise<ProviderEngine<unknown>> | undefined;
  server.addService(
    services.provider,
    createProviderService({
      sourceAddress: providerSourceAddress,
      loadSchemaFile: () => (schemaFile ??= JSON.parse(readFileSync(providerSchemaFile, 'utf8')) as ProviderSchemaFile),
      loadEngine: () => (enginePromise ??= options.loadEngine()),
      log: log.child({ '@module': 'provider.terraform-provider-ferry.protocol' }),
      encodedSchemaAnswer: bundledSchemaAnswer(),
    }),
  );
  server.addService(services.health, {
    Check: (_call: unknown, callback: (err: null, res: object) => void) => callback(null, { status: 'SERVING' }),
    Watch: (call: { write: (res: object) => void }) => call.write({ status: 'SERVING' }),
  });
  server.addService(services.controller, {
    Shutdown: (_call: unknown, callback: (err: null, res: object) => void) => {
      callback(null, {});
      pluginLog.debug({}, 'shutdown requested');
      // Let the reply reach Terraform, then go: Terraform kills the process 2 s after Shutdown.
      const force = setTimeout(() => exitProcess(server, socketPath, 0), 300);
      server.tryShutdown(() => {
        clearTimeout(force);
        exitProcess(server, socketPath, 0);
      });
    },
  });

  mark('services');
  let credentials: ServerCredentials = grpc.ServerCredentials.createInsecure();
  let certDer: Buffer | undefined;
  if (useTls && keys !== undefined && options.env.clientCertPem !== undefined) {
    const cert = issueServerCertificate(vendor, await keys);
    credentials = grpc.ServerCredentials.createSsl(
      Buffer.from(options.env.clientCertPem),
      [{ private_key: Buffer.from(cert.keyPem), cert_chain: Buffer.from(cert.certPem) }],
      true, // require Terraform's client certificate, as go-plugin does
    );
    certDer = cert.der;
  }
  mark('certificate');

  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix:${socketPath}`, credentials, (err) => (err ? reject(err) : resolve()));
  });
  if (options.debug) {
    process.on('SIGINT', () => exitProcess(server, socketPath, 0));
    process.on('SIGTERM', () => exitProcess(server, socketPath, 0));
    announceReattach(socketPath);
  } else {
    // Before the line goes out: a SIGTERM that arrives before a listener exists kills the process without
    // removing its socket or saving the code cache (Terraform may signal as soon as it has read the line).
    process.on('SIGTERM', () => exitProcess(server, socketPath, 0));
    watchForOrphaning(server, socketPath, pluginLog);
    writeHandshakeLine(formatHandshakeLine('unix', socketPath, certDer));
    mark('handshake');
    if (options.traceStartup) {
      const cpu = process.cpuUsage(); // all threads: V8's compiler and GC helpers, the key generation
      process.stderr.write(`startup ms: ${marks.map(([n, t]) => `${n}=${t.toFixed(1)}`).join(' ')} cpu=${((cpu.user + cpu.system) / 1000).toFixed(1)}\n`);
    }
    // The startup path has compiled by now: keep V8's code for the next launch (a no-op once cached).
    setTimeout(saveCodeCache, 100).unref();
  }
  if (protobuf === undefined) {
    void import('./protobuf-runtime.js').then(
      (m) => (protobuf = m.protobuf),
      (err: unknown) => pluginLog.error({ err: err instanceof Error ? err.stack : String(err) }, 'loading the protobuf runtime failed'),
    );
  }
  pluginLog.debug({ socket: socketPath, tls: useTls }, 'serving');
}

/**
 * Writes the handshake line straight to fd 1, in one write(2): it is the only thing a plugin writes to
 * stdout, and setting up `process.stdout` (a libuv pipe and a net.Socket around it) for it costs a launch
 * ~0.5 ms. The line (< 4 kB, PIPE_BUF) goes to the pipe whole; should the write fail or fall short (a
 * non-blocking pipe that is full), the rest goes through `process.stdout`.
 */
function writeHandshakeLine(line: string): void {
  const bytes = Buffer.from(line);
  let written = 0;
  try {
    written = writeSync(1, bytes);
  } catch {
    written = 0;
  }
  if (written < bytes.length) process.stdout.write(bytes.subarray(written));
}

function announceReattach(socketPath: string): void {
  const reattach = {
    [providerSourceAddress]: {
      Protocol: 'grpc',
      ProtocolVersion: 6,
      Pid: process.pid,
      Test: true,
      Addr: { Network: 'unix', String: socketPath },
    },
  };
  process.stdout.write(
    'Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n' +
      `\tTF_REATTACH_PROVIDERS='${JSON.stringify(reattach)}'\n\n`,
  );
}

/** Terraform may die without calling Shutdown; a re-parented plugin would otherwise live forever. */
function watchForOrphaning(server: { forceShutdown(): void }, socketPath: string, log: ProviderLog): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      log.warn({ parent }, 'terraform went away; exiting');
      exitProcess(server, socketPath, 0);
    }
  }, 1000);
  timer.unref();
}

function exitProcess(server: { forceShutdown(): void }, socketPath: string, code: number): never {
  saveCodeCache();
  server.forceShutdown();
  try {
    unlinkSync(socketPath);
  } catch {
    // already gone
  }
  process.exit(code);
}
