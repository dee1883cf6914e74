import { expect } from 'chai';
import { formatFuzzReport, runHttpFuzzer } from '../fuzz/http-fuzzer.js';
import { RawHttpConnection } from '../helpers/raw-http-connection.js';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';

/** Issue #10: client mistakes get a 4xx, never a 5xx or a crash (`npm run fuzz` runs this longer). */
describe('HTTP API under a mutation fuzzer (issue #10)', () => {
  it('answers a few seconds of mutated requests with 0 5xx, 0 crashes and 0 hangs', async function () {
    this.timeout(120_000);
    const seed = Math.floor(Math.random() * 2 ** 31);
    const report = await runHttpFuzzer({ durationMs: 5_000, maxRequests: 5_000, seed, concurrency: 2, requestTimeoutMs: 20_000 });
    const summary = formatFuzzReport(report);
    expect(report.sent, summary).to.be.greaterThan(20);
    expect(report.serverErrors, summary).to.equal(0);
    expect(report.crashes, summary).to.equal(0);
    expect(report.hangs, summary).to.equal(0);
  });

  describe('regressions found by the fuzzer', () => {
    let server: ServerHandle;
    before(async () => {
      server = await startDevServer();
    });
    after(async () => {
      await server?.stop();
    });

    it('answers a body declared beyond the 32 MiB limit with 413 at once, without waiting for the body', async () => {
      const c = await RawHttpConnection.open(server.port);
      try {
        await c.write(
          `POST /v1/secret/data/big HTTP/1.1\r\nHost: h\r\nX-Vault-Token: ${server.rootToken}\r\nContent-Length: ${40 * 1024 * 1024}\r\n\r\n{"data":`,
        );
        const answer = await c.nextResponse(5_000);
        expect(answer.status).to.equal(413);
        expect(JSON.parse(answer.body.toString()).errors).to.have.length(1);
      } finally {
        c.close();
      }
      expect((await server.request('GET', 'secret/data/big')).status).to.equal(404);
    });

    it('answers CONNECT with 405 instead of dropping the connection unanswered', async () => {
      const c = await RawHttpConnection.open(server.port);
      try {
        await c.write('CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n');
        const answer = await c.nextResponse(5_000);
        expect(answer.status).to.equal(405);
        expect(JSON.parse(answer.body.toString())).to.deep.equal({ errors: ['unsupported operation'] });
      } finally {
        c.close();
      }
    });

    it('refuses a KV v2 delete_version_after longer than Go’s time.Duration, so later writes of the key do not fail with 500', async () => {
      expect((await server.request('POST', 'secret/data/ttl-key', { body: { data: { a: 'b' } } })).status).to.equal(200);
      for (const value of [1e308, '99999999999999999999h']) {
        const refused = await server.request('POST', 'secret/metadata/ttl-key', { body: { delete_version_after: value } });
        expect(refused.status, JSON.stringify(value)).to.equal(400);
        const config = await server.request('POST', 'secret/config', { body: { delete_version_after: value } });
        expect(config.status, JSON.stringify(value)).to.equal(400);
      }
      const written = await server.request('POST', 'secret/data/ttl-key', { body: { data: { a: 'c' } } });
      expect(written.status).to.equal(200);
      expect(written.body.data.version).to.equal(2);
    });
  });
});
