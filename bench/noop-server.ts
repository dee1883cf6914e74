import { createServer } from 'node:http';
import express from 'express';
import { expressMessageClasses } from '../server/http/express-message-classes.js';

/**
 * The ceiling for the KV benchmark: a no-op Express 5 route answering a small JSON body.
 * `node noop-server.js PORT express-prototypes` serves it as Ferry's listener serves its app: Node
 * creates each request and response with Express's prototypes (`expressMessageClasses`), a figure
 * printed beside the goal's ceiling.
 */
const app = express();
app.get('/v1/noop', (_req, res) => {
  res.json({ data: { ok: true } });
});
const port = Number(process.argv[2] ?? '0');
const server = createServer(process.argv[3] === 'express-prototypes' ? expressMessageClasses(app) : {}, app);
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
});
