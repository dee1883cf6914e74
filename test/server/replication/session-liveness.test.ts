import { spawn } from 'node:child_process';
import http2, { type Http2Session } from 'node:http2';
import { expect } from 'chai';
import { watchSessionLiveness } from '../../../server/replication/session-liveness.js';

/** A real HTTP/2 server and client on loopback; resolves the server's side of the connection. */
async function connectedPair(): Promise<{ server: http2.Http2Server; client: http2.ClientHttp2Session; serverSession: Http2Session }> {
  const server = http2.createServer();
  const serverSession = new Promise<Http2Session>((resolve) => server.once('session', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const client = http2.connect(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
  client.on('error', () => undefined);
  return { server, client, serverSession: await serverSession };
}

describe('watchSessionLiveness', function () {
  this.timeout(10_000);

  it('keeps a connection whose peer answers PINGs', async () => {
    const { server, client, serverSession } = await connectedPair();
    try {
      watchSessionLiveness(serverSession, 30, 200);
      await new Promise((r) => setTimeout(r, 600));
      expect(serverSession.destroyed).to.equal(false);
    } finally {
      client.destroy();
      server.close();
    }
  });

  it('destroys a connection whose peer process is frozen (SIGSTOP): PINGs go unanswered', async () => {
    const server = http2.createServer();
    const serverSession = new Promise<Http2Session>((resolve) => server.once('session', resolve));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    // A peer in its own process, so that it can really be frozen.
    const peer = spawn(
      process.execPath,
      ['-e', `require('node:http2').connect('http://127.0.0.1:${port}').on('error', () => {}); setInterval(() => {}, 1000);`],
      {
        stdio: 'ignore',
      },
    );
    try {
      const session = await serverSession;
      session.on('error', () => undefined);
      watchSessionLiveness(session, 30, 300);
      await new Promise((r) => setTimeout(r, 400));
      expect(session.destroyed, 'answered PINGs keep it').to.equal(false);
      const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
      peer.kill('SIGSTOP');
      const started = Date.now();
      await closed;
      expect(Date.now() - started).to.be.within(250, 3000);
    } finally {
      peer.kill('SIGKILL');
      server.close();
    }
  });
});
