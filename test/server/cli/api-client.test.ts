import { expect } from 'chai';
import net from 'node:net';
import { ApiClient, ApiError, ConnectionError } from '../../../server/cli/api-client.js';

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A fetch that records the request and answers with a fixed response (no network). */
function answering(status: number, body: string): { fetchFn: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetchFn = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    seen.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: init?.headers as Record<string, string>,
      body: init?.body as string | undefined,
    });
    return new Response(status === 204 ? null : body, { status });
  }) as typeof fetch;
  return { fetchFn, seen };
}

/** A loopback port that was just free: bind to port 0, note the port, close. */
async function closedLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('cli api-client', () => {
  it('sends the token, wrap TTL and JSON body to /v1/<path>', async () => {
    const { fetchFn, seen } = answering(200, '{"data":{"a":"1"}}');
    const client = new ApiClient({ address: 'http://127.0.0.1:8200/', token: 'tok', wrapTtl: '5m', fetchFn });
    const body = await client.request('PUT', 'secret/a', { body: { a: '1' } });
    expect(body).to.deep.equal({ data: { a: '1' } });
    expect(seen[0]?.url).to.equal('http://127.0.0.1:8200/v1/secret/a');
    expect(seen[0]?.method).to.equal('PUT');
    expect(seen[0]?.headers['X-Vault-Token']).to.equal('tok');
    expect(seen[0]?.headers['X-Vault-Wrap-TTL']).to.equal('5m');
    expect(seen[0]?.body).to.equal('{"a":"1"}');
  });

  it('sends LIST as GET ?list=true', async () => {
    const { fetchFn, seen } = answering(200, '{"data":{"keys":["a"]}}');
    await new ApiClient({ address: 'http://127.0.0.1:8200', fetchFn }).request('LIST', 'secret/');
    expect(seen[0]?.method).to.equal('GET');
    expect(seen[0]?.url).to.equal('http://127.0.0.1:8200/v1/secret/?list=true');
    expect(seen[0]?.headers['X-Vault-Token']).to.equal(undefined);
  });

  it('answers null for 204', async () => {
    const { fetchFn } = answering(204, '');
    expect(await new ApiClient({ address: 'http://127.0.0.1:8200', fetchFn }).request('DELETE', 'secret/a')).to.equal(null);
  });

  it('turns {"errors":[...]} into an ApiError in Vault CLI wording', async () => {
    const { fetchFn } = answering(400, '{"errors":["first","second"]}');
    const client = new ApiClient({ address: 'http://127.0.0.1:8200', token: 'hvs.secret-token', fetchFn });
    const err = await rejection(client.request('PUT', 'sys/x', { body: {} }));
    expect(err).to.be.instanceOf(ApiError);
    const apiError = err as ApiError;
    expect(apiError.status).to.equal(400);
    expect(apiError.messages).to.deep.equal(['first', 'second']);
    expect(apiError.message).to.equal('Error making API request.\n\nURL: PUT http://127.0.0.1:8200/v1/sys/x\nCode: 400. Errors:\n\n* first\n* second');
    expect(apiError.message).to.not.include('hvs.secret-token');
  });

  it('keeps a non-JSON error body as the raw message', async () => {
    const { fetchFn } = answering(502, 'bad gateway');
    const err = await rejection(new ApiClient({ address: 'http://127.0.0.1:8200', fetchFn }).request('GET', 'sys/health'));
    expect((err as ApiError).message).to.include('Code: 502. Raw Message:\n\nbad gateway');
  });

  it('answers null for a 404 only when asked to', async () => {
    const { fetchFn } = answering(404, '{"errors":[]}');
    const client = new ApiClient({ address: 'http://127.0.0.1:8200', fetchFn });
    expect(await client.request('GET', 'secret/none', { allowNotFound: true })).to.equal(null);
    expect(await rejection(client.request('GET', 'secret/none'))).to.be.instanceOf(ApiError);
  });

  it('reports a refused connection with its reason', async () => {
    const port = await closedLoopbackPort();
    const client = new ApiClient({ address: `http://127.0.0.1:${port}` });
    const err = await rejection(client.request('GET', 'sys/seal-status'));
    expect(err).to.be.instanceOf(ConnectionError);
    expect((err as Error).message).to.equal(`GET http://127.0.0.1:${port}/v1/sys/seal-status: connect ECONNREFUSED 127.0.0.1:${port}`);
  });
});
