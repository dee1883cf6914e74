import { spawn, type ChildProcess } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { api, BenchServer, freePortPair } from './bench-cluster.js';

/**
 * The transit line of `npm run bench`: encrypt+decrypt through the full stack (HTTP, token, ACL,
 * barrier read of the key, AES-256-GCM, JSON) against the no-op Express route, and raw Node
 * crypto doing the same AES-256-GCM encrypt+decrypt in one process beside it. Loopback only.
 */
const DURATION_S = Number(process.env.FERRY_BENCH_SECONDS ?? '5');
const ROUNDS = Number(process.env.FERRY_BENCH_ROUNDS ?? '3');
const CONNECTIONS = 10;
/** 64 bytes: a typical small secret (a token, a card number with metadata). */
const PLAINTEXT = randomBytes(64);

function startNoop(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'noop-server.js'), String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no-op server did not start: ${out.slice(-500)}`)), 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', () => reject(new Error(`no-op server exited: ${out.slice(-500)}`)));
  });
}

async function load(url: string, requests?: autocannon.Request[], token = ''): Promise<number> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    headers: { 'x-vault-token': token, 'content-type': 'application/json' },
    ...(requests === undefined ? {} : { requests }),
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`load run had ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return result.requests.average;
}

/** Raw AES-256-GCM encrypt+decrypt pairs per second in this process, for `durationMs`. */
export function rawAesGcmPairsPerSecond(durationMs: number): number {
  const key = randomBytes(32);
  let pairs = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(durationMs) * 1_000_000n;
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 256; i++) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      const body = Buffer.concat([cipher.update(PLAINTEXT), cipher.final()]);
      const tag = cipher.getAuthTag();
      const decipher = createDecipheriv('aes-256-gcm', key, nonce);
      decipher.setAuthTag(tag);
      Buffer.concat([decipher.update(body), decipher.final()]);
      pairs++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return pairs / seconds;
}

export async function runTransitBench(): Promise<string[]> {
  const noopPort = await freePortPair();
  const noop = await startNoop(noopPort);
  const server = await BenchServer.start();
  try {
    const base = server.addr;
    const token = server.rootToken;
    await api(base, 'POST', 'sys/mounts/transit', token, { type: 'transit' });
    await api(base, 'POST', 'transit/keys/bench', token, { type: 'aes256-gcm96' });
    const plaintext = PLAINTEXT.toString('base64');
    const { data } = await api(base, 'POST', 'transit/encrypt/bench', token, { plaintext });
    const encrypt = { method: 'POST' as const, path: '/v1/transit/encrypt/bench', body: JSON.stringify({ plaintext }) };
    const decrypt = { method: 'POST' as const, path: '/v1/transit/decrypt/bench', body: JSON.stringify({ ciphertext: data.ciphertext as string }) };

    // Interleaved rounds, medians: the machine is shared, so the ceiling is measured beside each run.
    const samples = { noop: [] as number[], pair: [] as number[], raw: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      samples.noop.push(await load(`http://127.0.0.1:${noopPort}/v1/noop`));
      // Each connection alternates encrypt and decrypt: requests/s here counts both operations.
      samples.pair.push(await load(base, [encrypt, decrypt], token));
      samples.raw.push(rawAesGcmPairsPerSecond(Math.min(DURATION_S, 2) * 1000) * 2);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const noopRps = median(samples.noop);
    const ops = median(samples.pair);
    const raw = median(samples.raw);
    return [
      `Transit (aes256-gcm96, 64-byte plaintext) — ${CONNECTIONS} connections, ${DURATION_S}s per run, autocannon, loopback, medians of ${ROUNDS} interleaved rounds`,
      `${'no-op Express route (ceiling)'.padEnd(40)} ${noopRps.toFixed(0).padStart(9)} req/s`,
      `${'encrypt+decrypt through the full stack'.padEnd(40)} ${ops.toFixed(0).padStart(9)} ops/s   ${(ops / noopRps).toFixed(2)} × no-op`,
      `${'raw Node crypto AES-256-GCM, 1 thread'.padEnd(40)} ${raw.toFixed(0).padStart(9)} ops/s   (encrypt and decrypt each count one op)`,
    ];
  } finally {
    noop.kill('SIGKILL');
    await server.stop();
  }
}
