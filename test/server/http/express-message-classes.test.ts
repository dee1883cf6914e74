import { createServer, IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { expressMessageClasses } from '../../../server/http/express-message-classes.js';

describe('expressMessageClasses', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    server = undefined;
  });

  /** A real loopback server: `seen` records each request's and response's prototype before Express handles them. */
  async function serve(app: express.Express, seen: { req: object | null; res: object | null }[]): Promise<string> {
    server = createServer(expressMessageClasses(app), (req, res) => {
      seen.push({ req: Object.getPrototypeOf(req) as object | null, res: Object.getPrototypeOf(res) as object | null });
      app(req, res);
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("has Node create requests and responses with the app's own prototypes, still Node's message types", async () => {
    const app = express();
    const kinds: boolean[] = [];
    app.post('/echo', express.json(), (req, res) => {
      kinds.push(req instanceof IncomingMessage, res instanceof ServerResponse);
      res
        .status(201)
        .set('x-test', 'yes')
        .json({ got: req.body as unknown, query: req.query.q });
    });
    const seen: { req: object | null; res: object | null }[] = [];
    const base = await serve(app, seen);
    const answer = await fetch(`${base}/echo?q=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(answer.status).to.equal(201);
    expect(answer.headers.get('x-test')).to.equal('yes');
    expect(await answer.json()).to.deep.equal({ got: { a: 1 }, query: '1' });
    expect(seen).to.have.length(1);
    expect(seen[0]?.req).to.equal(app.request);
    expect(seen[0]?.res).to.equal(app.response);
    expect(kinds).to.deep.equal([true, true]);
  });

  it('serves keep-alive requests one after another on one connection, each with its own objects', async () => {
    const app = express();
    const requests = new Set<object>();
    app.get('/n/:n', (req, res) => {
      requests.add(req);
      res.json({ n: Number(req.params.n) });
    });
    const base = await serve(app, []);
    for (let n = 0; n < 5; n++) {
      const answer = await fetch(`${base}/n/${n}`);
      expect(await answer.json()).to.deep.equal({ n });
    }
    expect(requests.size).to.equal(5);
  });
});
