/**
 * A mutation fuzzer over the HTTP API of a spawned `ferry server -dev` on loopback. Bounded in
 * time and request count; counts 5xx answers and server crashes (process exits), both of which
 * should be 0: a client's mistake must get a 4xx.
 */
import { connect } from 'node:net';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';
import { FuzzRandom } from './fuzz-random.js';
import { generateFuzzRequest, type FuzzRequest, type FuzzTokens } from './http-fuzz-cases.js';

export interface FuzzOptions {
  readonly durationMs: number;
  readonly maxRequests: number;
  readonly seed: number;
  /** Requests in flight at once. */
  readonly concurrency?: number;
  /** How long one request may go unanswered before it counts as a hang. */
  readonly requestTimeoutMs?: number;
  /** How many offending requests to keep for the report. */
  readonly keepOffenders?: number;
  readonly log?: (line: string) => void;
}

export interface FuzzOffender {
  readonly outcome: string;
  readonly description: string;
}

export interface FuzzReport {
  readonly seed: number;
  readonly elapsedMs: number;
  readonly sent: number;
  /** Answers by status class (`2xx`, `4xx`, ...) plus `none` (connection closed without an answer). */
  readonly byClass: Record<string, number>;
  readonly serverErrors: number;
  readonly crashes: number;
  readonly hangs: number;
  readonly offenders: FuzzOffender[];
  /** `internal error` lines in the server log (their causes, for fixing), first few. */
  readonly internalErrorLogs: string[];
}

type Outcome = { kind: 'status'; status: number } | { kind: 'none' } | { kind: 'timeout' };

/** Sends raw bytes on a fresh connection and reads the first final status line. */
function send(port: number, request: FuzzRequest, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    let settled = false;
    const socket = connect({ port, host: '127.0.0.1' });
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const statusOf = (): number | undefined => {
      for (const match of received.toString('latin1').matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3})/g)) {
        const status = Number(match[1]);
        if (status >= 200) return status;
      }
      return undefined;
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const status = statusOf();
      if (status !== undefined) finish({ kind: 'status', status });
    });
    socket.on('error', () => {
      const status = statusOf();
      finish(status === undefined ? { kind: 'none' } : { kind: 'status', status });
    });
    socket.on('close', () => {
      const status = statusOf();
      finish(status === undefined ? { kind: 'none' } : { kind: 'status', status });
    });
    socket.on('connect', () => socket.write(request.bytes));
  });
}

/** State the templates refer to: a KV v1 mount, a key, a userpass user, an AppRole role. */
async function seedFixtures(server: ServerHandle): Promise<FuzzTokens> {
  const steps: Array<[string, string, unknown]> = [
    ['POST', 'sys/mounts/kv', { type: 'kv', options: { version: '1' } }],
    ['POST', 'sys/auth/userpass', { type: 'userpass' }],
    ['POST', 'auth/userpass/users/fz-user', { password: 'fuzz-pw', policies: ['default'] }],
    ['POST', 'sys/auth/approle', { type: 'approle' }],
    ['POST', 'auth/approle/role/fz-role', { role_id: 'fz-role-id' }],
    ['POST', 'secret/data/fz-key', { data: { a: 'b' } }],
    ['PUT', 'kv/fz-key', { a: 'b' }],
  ];
  for (const [method, path, body] of steps) {
    const answer = await server.request(method, path, { body });
    if (answer.status >= 300) throw new Error(`fuzz fixture ${method} ${path} failed: ${answer.status}`);
  }
  const limited = await server.request('POST', 'auth/token/create', { body: { policies: ['default'], ttl: '24h' } });
  if (limited.status !== 200) throw new Error(`fuzz fixture token failed: ${limited.status}`);
  return { root: server.rootToken, limited: limited.body.auth.client_token as string };
}

function isRunning(server: ServerHandle): boolean {
  const child = server.process;
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

export async function runHttpFuzzer(options: FuzzOptions): Promise<FuzzReport> {
  const log = options.log ?? (() => undefined);
  const rnd = new FuzzRandom(options.seed);
  const timeoutMs = options.requestTimeoutMs ?? 15_000;
  const keep = options.keepOffenders ?? 5;
  const server = await startDevServer();
  const started = Date.now();
  const byClass: Record<string, number> = {};
  const offenders: FuzzOffender[] = [];
  let sent = 0;
  let serverErrors = 0;
  let crashes = 0;
  let hangs = 0;
  let restarting: Promise<void> | undefined;
  try {
    let tokens = await seedFixtures(server);
    const deadline = started + options.durationMs;
    const worker = async () => {
      while (Date.now() < deadline && sent < options.maxRequests) {
        if (restarting !== undefined) await restarting;
        const request = generateFuzzRequest(rnd, tokens);
        sent++;
        const outcome = await send(server.port, request, timeoutMs);
        const label = outcome.kind === 'status' ? `${Math.floor(outcome.status / 100)}xx` : outcome.kind === 'none' ? 'none' : 'timeout';
        byClass[label] = (byClass[label] ?? 0) + 1;
        let offence: string | undefined;
        if (outcome.kind === 'status' && outcome.status >= 500) {
          serverErrors++;
          offence = `status ${outcome.status}`;
        } else if (outcome.kind === 'timeout') {
          hangs++;
          offence = `no answer within ${timeoutMs}ms`;
        }
        if (outcome.kind === 'none') log(`closed without an answer: ${request.description}`);
        if (!isRunning(server) && restarting === undefined) {
          crashes++;
          offence = `server exited (code ${server.process?.exitCode ?? 'none'}, signal ${server.process?.signalCode ?? 'none'})`;
          restarting = (async () => {
            await server.restart();
            tokens = await seedFixtures(server);
          })().finally(() => (restarting = undefined));
        }
        if (offence !== undefined) {
          log(`offending request: ${offence}: ${request.description}`);
          if (offenders.length < keep) offenders.push({ outcome: offence, description: request.description });
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
    if (!isRunning(server)) crashes++;
  } finally {
    await server.stop();
  }
  const internalErrorLogs = server
    .logs()
    .split('\n')
    .filter((line) => line.includes('internal error') || line.includes('"level":50') || line.includes('"level":60') || line.includes(' [ERROR] '))
    .slice(0, 5)
    .map((line) => line.slice(0, 600));
  return { seed: options.seed, elapsedMs: Date.now() - started, sent, byClass, serverErrors, crashes, hangs, offenders, internalErrorLogs };
}

/** The report as lines for a terminal. */
export function formatFuzzReport(report: FuzzReport): string {
  const lines = [
    `http fuzzer: seed ${report.seed}, ${report.sent} requests in ${(report.elapsedMs / 1000).toFixed(1)}s`,
    `  answers: ${Object.entries(report.byClass)
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  5xx answers: ${report.serverErrors}   crashes: ${report.crashes}   hangs: ${report.hangs}`,
  ];
  for (const o of report.offenders) lines.push(`  offender (${o.outcome}): ${o.description}`);
  for (const l of report.internalErrorLogs) lines.push(`  server log: ${l}`);
  return lines.join('\n');
}
