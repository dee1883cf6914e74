import express from 'express';

/** The ceiling for the KV benchmark: a no-op Express 5 route answering a small JSON body. */
const app = express();
app.get('/v1/noop', (_req, res) => {
  res.json({ data: { ok: true } });
});
const port = Number(process.argv[2] ?? '0');
const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
});
