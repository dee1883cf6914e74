import http2, { type Http2SecureServer } from 'node:http2';
import { expect } from 'chai';
import { ClusterCa } from '../../../server/replication/cluster-ca.js';
import { ClusterClient } from '../../../server/replication/cluster-client.js';

/** A real HTTP/2 + mutual TLS server on loopback, with certificates from the cluster CA. */
async function streamingServer(lines: number, chunkLines: number): Promise<{ server: Http2SecureServer; addr: string; ca: ClusterCa }> {
  const ca = await ClusterCa.create('test-cluster');
  const serverCert = await ca.issueServer(['127.0.0.1']);
  const server = http2.createSecureServer({ key: serverCert.keyPem, cert: serverCert.certPem, ca: ca.ca.certPem, requestCert: true, rejectUnauthorized: true });
  server.on('request', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    let i = 0;
    // One chunk per turn of the event loop, so chunks arrive as separate DATA frames.
    const next = (): void => {
      if (i >= lines) return void res.end();
      let chunk = '';
      for (let j = 0; j < chunkLines && i < lines; j++, i++) chunk += JSON.stringify({ n: i }) + '\n';
      if (res.write(chunk)) setImmediate(next);
      else res.once('drain', next);
    };
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, addr: `https://127.0.0.1:${(server.address() as { port: number }).port}`, ca };
}

describe('ClusterClient.stream', function () {
  this.timeout(30_000);

  it('hands every line over in order, one call at a time, collecting what arrives during a slow call', async () => {
    const total = 20_000;
    const { server, addr, ca } = await streamingServer(total, 10);
    const client = new ClusterClient(addr, { caCertPem: ca.ca.certPem, client: await ca.issueClient('s1') }, () => ({}));
    try {
      const seen: number[] = [];
      let calls = 0;
      let inFlight = 0;
      let maxInFlight = 0;
      let status = 0;
      const transfer = client.stream(
        '/v1/stream',
        (s) => (status = s),
        async (lines) => {
          calls++;
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          for (const line of lines) seen.push((JSON.parse(line) as { n: number }).n);
          await new Promise((r) => setTimeout(r, 5));
          inFlight--;
        },
      );
      await transfer.done;
      expect(status).to.equal(200);
      expect(maxInFlight).to.equal(1);
      expect(seen).to.have.length(total);
      expect(seen.every((n, i) => n === i)).to.equal(true);
      // 2,000 chunks were sent one by one; a 5 ms consumer sees them grouped into far fewer calls.
      expect(calls).to.be.lessThan(total / 10 / 10);
    } finally {
      client.close();
      server.close();
    }
  });

  it('hands the frames of one write that arrived together over in one call (one apply a chunk)', async () => {
    const ca = await ClusterCa.create('test-cluster');
    const serverCert = await ca.issueServer(['127.0.0.1']);
    const server = http2.createSecureServer({
      key: serverCert.keyPem,
      cert: serverCert.certPem,
      ca: ca.ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const chunks = 10;
    const linesPerChunk = 2_500; // about 30 KB: two HTTP/2 DATA frames of at most 16 KB each
    server.on('request', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      let sent = 0;
      const next = (): void => {
        if (sent === chunks) return void res.end();
        let chunk = '';
        for (let j = 0; j < linesPerChunk; j++) chunk += JSON.stringify({ n: sent * linesPerChunk + j }) + '\n';
        sent++;
        res.write(chunk);
        setTimeout(next, 30);
      };
      next();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const client = new ClusterClient(
      `https://127.0.0.1:${(server.address() as { port: number }).port}`,
      { caCertPem: ca.ca.certPem, client: await ca.issueClient('s1') },
      () => ({}),
    );
    try {
      const sizes: number[] = [];
      const transfer = client.stream(
        '/v1/stream',
        () => undefined,
        async (lines) => void sizes.push(lines.length),
      );
      await transfer.done;
      expect(sizes.reduce((a, b) => a + b, 0)).to.equal(chunks * linesPerChunk);
      // Handed over as each DATA frame arrived, every chunk would take two calls or more.
      expect(sizes.length, `calls of ${sizes.join(', ')} lines`).to.be.lessThan(chunks * 1.5);
    } finally {
      client.close();
      server.close();
    }
  });

  it('stops the transfer and rejects when the consumer fails', async () => {
    const { server, addr, ca } = await streamingServer(10_000, 100);
    const client = new ClusterClient(addr, { caCertPem: ca.ca.certPem, client: await ca.issueClient('s1') }, () => ({}));
    try {
      let calls = 0;
      const transfer = client.stream(
        '/v1/stream',
        () => undefined,
        async () => {
          calls++;
          throw new Error('disk full');
        },
      );
      let failure: unknown;
      await transfer.done.catch((err: unknown) => (failure = err));
      expect((failure as Error).message).to.equal('disk full');
      expect(calls).to.equal(1);
    } finally {
      client.close();
      server.close();
    }
  });
});
