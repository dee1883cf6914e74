import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, SignJWT } from 'jose';
import { writeOrClose } from '../../server/replication/write-or-close.js';
import { startDevServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';

const LIMIT_BYTES = 16 * 1024 * 1024;

/** A signed activation token of the right shape (ES512, type wrapping, fresh) pointing at `addr`. */
async function activationToken(addr: string): Promise<string> {
  const { privateKey } = await generateKeyPair('ES512');
  return new SignJWT({ type: 'wrapping', addr })
    .setProtectedHeader({ alg: 'ES512' })
    .setJti(`fake-${randomBytes(6).toString('hex')}`)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(privateKey);
}

/** Streams `totalBytes` of a JSON string value (chunked, no content-length), stopping if the reader leaves. */
async function streamHugeJson(res: ServerResponse, totalBytes: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"data":{"pad":"');
  const chunk = Buffer.alloc(64 * 1024, 'a');
  for (let sent = 0; sent < totalBytes; sent += chunk.length) {
    if (!(await writeOrClose(res, chunk))) return;
  }
  if (!res.destroyed) res.end('"}}');
}

/**
 * Issue #10, class 7: the activation unwrap reads the primary's answer whole or refuses it (never
 * truncates), and a back-pressured secondary that disconnects ends its stream loop on the primary.
 */
describe('security: replication channel robustness', function () {
  this.timeout(180_000);
  const root = 'channel-root';
  const servers: ServerHandle[] = [];
  let fake: Server | undefined;

  after(async () => {
    await new Promise<void>((resolve) => (fake ? fake.close(() => resolve()) : resolve()));
    await Promise.all(servers.map((s) => s.stop()));
  });

  describe('activation unwrap answers from a fake primary', () => {
    let secondary: ServerHandle;
    let fakeAddr = '';
    let answer: (res: ServerResponse) => Promise<void> = async () => undefined;

    before(async () => {
      secondary = await startDevServer({ rootTokenId: root });
      servers.push(secondary);
      expect((await secondary.request('POST', 'secret/data/keep', { body: { data: { v: 'mine' } } })).status).to.equal(200);
      fake = createServer((req, res) => {
        req.resume();
        req.on('end', () => void answer(res).catch(() => res.destroy()));
      });
      await new Promise<void>((resolve) => (fake as Server).listen(0, '127.0.0.1', () => resolve()));
      fakeAddr = `http://127.0.0.1:${((fake as Server).address() as AddressInfo).port}`;
    });

    async function enableAgainstFake(): Promise<{ status: number; errors: string[] }> {
      const res = await secondary.request('POST', 'sys/replication/secondary/enable', { body: { token: await activationToken(fakeAddr) } });
      return { status: res.status, errors: res.body?.errors ?? [] };
    }

    async function expectUnchanged(): Promise<void> {
      const st = (await secondary.request('GET', 'sys/replication/status', { token: null })).body.data;
      expect(st.mode).to.equal('disabled');
      const read = await secondary.request('GET', 'secret/data/keep');
      expect(read.status).to.equal(200);
      expect(read.body.data.data.v).to.equal('mine');
    }

    it('refuses an answer past the 16 MiB limit with a 400 naming the limit, and wipes nothing', async () => {
      answer = (res) => streamHugeJson(res, LIMIT_BYTES + 1024 * 1024);
      const { status, errors } = await enableAgainstFake();
      expect(status).to.equal(400);
      expect(errors).to.have.length(1);
      expect(errors[0]).to.contain(fakeAddr).and.contain(`${LIMIT_BYTES}-byte limit`);
      await expectUnchanged();
    });

    it('refuses a declared content-length past the limit before reading it', async () => {
      answer = async (res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(LIMIT_BYTES + 1) });
        res.write('{"data":');
      };
      const { status, errors } = await enableAgainstFake();
      expect(status).to.equal(400);
      expect(errors[0]).to.contain(`${LIMIT_BYTES}-byte limit`);
      await expectUnchanged();
    });

    it('reads a 2 MiB answer whole (no truncation at 1 MiB): refused only because it is no activation bundle', async () => {
      answer = (res) => streamHugeJson(res, 2 * 1024 * 1024);
      const { status, errors } = await enableAgainstFake();
      expect(status).to.equal(400);
      expect(errors).to.deep.equal(['the unwrapped secondary token is not a replication activation bundle']);
      await expectUnchanged();
    });

    it('answers 400, not 500, when the answer is not JSON', async () => {
      answer = async (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"data": not json');
      };
      const { status, errors } = await enableAgainstFake();
      expect(status).to.equal(400);
      expect(errors[0]).to.contain('not valid JSON');
      await expectUnchanged();
    });
  });

  describe('a back-pressured secondary that disconnects', () => {
    it('ends its stream loop on the primary: status shows it disconnected within seconds, and the primary keeps serving', async () => {
      const [a, b] = await Promise.all([startDevServer({ rootTokenId: root }), startDevServer({ rootTokenId: root })]);
      servers.push(a, b);
      expect((await a.request('POST', 'sys/replication/primary/enable')).status).to.equal(200);
      const token = (await a.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'b' } })).body.wrap_info.token as string;
      expect((await b.request('POST', 'sys/replication/secondary/enable', { body: { token } })).status).to.equal(200);

      const secondaryStatus = async () => (await a.request('GET', 'sys/replication/status', { token: null })).body.data.secondaries[0];
      const gauge = async (name: string): Promise<number> => {
        const text = (await a.request('GET', 'sys/metrics?format=prometheus')).text;
        const line = text.split('\n').find((l) => l.startsWith(`${name} `));
        return Number(line?.split(' ')[1] ?? NaN);
      };
      await waitFor(async () => ((await secondaryStatus())?.connection_status === 'connected' ? true : undefined), {
        timeoutMs: 20_000,
        description: 'secondary connected',
      });
      expect(await gauge('ferry_replication_open_streams')).to.equal(1);

      // Freeze the secondary, then stream far more than flow control and socket buffers hold.
      b.process?.kill('SIGSTOP');
      const value = randomBytes(384 * 1024).toString('base64');
      for (let i = 0; i < 48; i++) {
        const res = await a.request('POST', `secret/data/big-${i}`, { body: { data: { value } } });
        expect(res.status, res.text).to.equal(200);
      }
      const streamedBefore = await gauge('ferry_replication_bytes_streamed_total');
      // The primary's writer is now waiting for the frozen peer: bytes stop moving.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await gauge('ferry_replication_bytes_streamed_total')).to.equal(streamedBefore);
      expect(streamedBefore).to.be.below(48 * value.length);

      await b.kill9();
      const killedAt = Date.now();
      await waitFor(async () => ((await secondaryStatus())?.connection_status === 'disconnected' ? true : undefined), {
        timeoutMs: 15_000,
        intervalMs: 100,
        description: 'the primary to report the killed secondary disconnected',
      });
      expect(Date.now() - killedAt).to.be.below(15_000);
      await waitFor(async () => ((await gauge('ferry_replication_open_streams')) === 0 ? true : undefined), {
        timeoutMs: 5_000,
        description: 'no stream loop left running on the primary',
      });
      expect(await gauge('ferry_replication_connected_secondaries')).to.equal(0);

      expect((await a.request('POST', 'secret/data/after-kill', { body: { data: { v: 'ok' } } })).status).to.equal(200);
      expect((await a.request('GET', 'secret/data/after-kill')).body.data.data.v).to.equal('ok');
    });
  });
});
