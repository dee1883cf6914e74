import vault from 'node-vault';
import { startDevServer } from '/work/main/test/helpers/test-cluster.js';
describe('probe', () => { it('x', async () => {
  const s = await startDevServer({ rootTokenId: 'r' });
  const c = vault({ endpoint: s.addr, token: 'r' });
  await s.request('POST', 'sys/mounts/kv1', { body: { type: 'kv' } });
  await s.request('POST', 'kv1/app/db', { body: { a: 'b' } });
  try { console.log(await c.list('kv1/app/')); } catch (e: any) { console.log(e.response, e.message); }
  const net = await import('node:net');
  const srv = net.createServer((sock) => sock.on('data', (d) => { console.log(JSON.stringify(d.toString())); sock.end('HTTP/1.1 204 No Content\r\n\r\n'); }));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const c2 = vault({ endpoint: `http://127.0.0.1:${(srv.address() as any).port}`, token: 'r' });
  await c2.list('kv1/app/').catch((e: any) => console.log('c2', e.message));
  srv.close();
  await s.stop();
});});
