import { expect } from 'chai';
import type { ServerResponse } from 'node:http';
import { ApiError } from '../../../server/api-client/api-error.js';
import { TransportError } from '../../../server/api-client/transport-error.js';
import { FerryClient, isFailoverError } from '../../../provider/client/ferry-client.js';
import { startLoopbackServer, type LoopbackServer, type SeenRequest } from '../../helpers/loopback-server.js';

const json = (res: ServerResponse, status: number, body?: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
};

/** The provider's client across a failover, against a real loopback server playing the cluster. */
describe('FerryClient across a failover', function () {
  this.timeout(20_000);
  let server: LoopbackServer | undefined;
  const client = (address: string) =>
    new FerryClient({ address, token: 't', caCertPem: undefined, skipTlsVerify: false, userpass: undefined, requestTimeoutMs: 5_000 });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('retries a 503 from a standby without an active node, then succeeds', async () => {
    let calls = 0;
    server = await startLoopbackServer((_req, res) =>
      ++calls < 3 ? json(res, 503, { errors: ['no active Vault instance found'] }) : json(res, 200, { data: { ok: true } }),
    );
    expect(await client(server.address).read('kv/x')).to.deep.equal({ data: { ok: true } });
    expect(calls).to.equal(3);
  });

  it('does not wait for a sealed node, nor retry a client error', async () => {
    server = await startLoopbackServer((req, res) =>
      req.url.includes('sealed') ? json(res, 503, { errors: ['Vault is sealed'] }) : json(res, 400, { errors: ['bad'] }),
    );
    for (const path of ['sealed', 'bad']) {
      const failure = await client(server.address)
        .write(path, {})
        .catch((err: unknown) => err);
      expect(failure).to.be.instanceOf(ApiError);
    }
    expect(server.seen).to.have.length(2);
  });

  it('adopts a mount whose enable succeeded but whose answer was lost, instead of enabling it twice', async () => {
    const mounts: Record<string, { type: string }> = {};
    const handle = (req: SeenRequest, res: ServerResponse): void => {
      if (req.method === 'POST' && req.url === '/v1/sys/mounts/kv') {
        if (mounts['kv/'] !== undefined) return json(res, 400, { errors: ['path is already in use at kv/'] });
        mounts['kv/'] = { type: 'kv' };
        // Applied, then the node died before answering.
        res.socket?.destroy();
        return;
      }
      if (req.method === 'GET' && req.url === '/v1/sys/mounts') return json(res, 200, { data: mounts });
      json(res, 404, { errors: [] });
    };
    server = await startLoopbackServer(handle);
    let asked = 0;
    const isAlreadyApplied = async (): Promise<boolean> => {
      asked++;
      const listed = await client((server as LoopbackServer).address).read<{ data: Record<string, { type: string }> }>('sys/mounts');
      return listed?.data['kv/']?.type === 'kv';
    };
    const c = client(server.address);
    // Terraform has read the cluster before it creates anything.
    expect(await c.read('sys/mounts')).to.deep.equal({ data: {} });
    expect(await c.write('sys/mounts/kv', { type: 'kv' }, { isAlreadyApplied })).to.equal(null);
    expect(asked).to.equal(1);
    expect(server.seen.filter((r) => r.method === 'POST')).to.have.length(1);
  });

  it('sends a write again when its effect is not there yet', async () => {
    let posts = 0;
    server = await startLoopbackServer((req, res) => {
      if (req.method === 'POST') {
        // The first attempt never reached the active (the standby had no active to forward to).
        if (++posts === 1) return json(res, 503, { errors: ['error forwarding the request to the active node: connect ECONNREFUSED'] });
        return json(res, 204);
      }
      json(res, 200, { data: {} });
    });
    await client(server.address).write('sys/mounts/kv', { type: 'kv' }, { isAlreadyApplied: async () => false });
    expect(posts).to.equal(2);
  });

  it('fails at once for an address that never answered (a wrong address is not a failover)', async () => {
    const closed = await startLoopbackServer((_req, res) => json(res, 200, {}));
    const address = closed.address;
    await closed.close();
    const started = Date.now();
    const failure = await client(address)
      .read('kv/x')
      .catch((err: unknown) => err);
    expect(failure).to.be.instanceOf(TransportError);
    expect(Date.now() - started).to.be.lessThan(2_000);
  });

  it('retries a lost connection to an address that answered before (a load balancer in front of the cluster)', async () => {
    let calls = 0;
    server = await startLoopbackServer((req, res) => {
      calls++;
      // The second call's node dies before it answers; the third reaches the new active.
      if (calls === 2) {
        res.socket?.destroy();
        return;
      }
      json(res, 200, { data: { call: calls } });
    });
    const c = client(server.address);
    expect(await c.read('kv/x')).to.deep.equal({ data: { call: 1 } });
    expect(await c.read('kv/x')).to.deep.equal({ data: { call: 3 } });
  });

  it('classifies failures', () => {
    const target = { method: 'GET', url: 'http://x/v1/y', address: 'http://x', path: 'y' };
    expect(isFailoverError(new ApiError(503, ['no active Vault instance found'], target), false)).to.equal(true);
    expect(isFailoverError(new ApiError(503, ['Vault is sealed'], target), true)).to.equal(false);
    expect(isFailoverError(new ApiError(500, ['internal'], target), true)).to.equal(false);
    const refused = new TransportError('network', 'GET', 'http://x/v1/y', 'http://x', 'connect ECONNREFUSED');
    expect(isFailoverError(refused, false)).to.equal(false);
    expect(isFailoverError(refused, true)).to.equal(true);
    expect(isFailoverError(new Error('x'), true)).to.equal(false);
  });
});
