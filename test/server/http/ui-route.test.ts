import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createApp } from '../../../server/http/app.js';
import { UI_CONTENT_SECURITY_POLICY } from '../../../server/http/ui-route.js';
import { startInProcessCore } from '../../helpers/in-process-core.js';

describe('dashboard route (/ui/)', () => {
  let server: Server;
  let base: string;
  let assets: string;

  before(async () => {
    const env = await startInProcessCore();
    assets = mkdtempSync(join(tmpdir(), 'ferry-ui-'));
    writeFileSync(join(assets, 'index.html'), '<!doctype html><title>page</title>');
    writeFileSync(join(assets, 'dashboard.js'), 'export {};');
    writeFileSync(join(assets, 'secret.txt'), 'not an asset');
    const app = createApp({ core: env.core, logger: pino({ level: 'silent' }), uiAssetsDir: assets });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server.close();
    rmSync(assets, { recursive: true, force: true });
  });

  it('serves the page with a strict content security policy and no token', async () => {
    const res = await fetch(`${base}/ui/`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/html/);
    expect(res.headers.get('content-security-policy')).to.equal(UI_CONTENT_SECURITY_POLICY);
    expect(UI_CONTENT_SECURITY_POLICY).to.include("script-src 'self'").and.not.include('unsafe-inline');
    expect(res.headers.get('x-frame-options')).to.equal('DENY');
    expect(await res.text()).to.include('<title>page</title>');
  });

  it('serves the script as JavaScript and redirects /ui to /ui/', async () => {
    const js = await fetch(`${base}/ui/dashboard.js`);
    expect(js.status).to.equal(200);
    expect(js.headers.get('content-type')).to.match(/^text\/javascript/);
    const bare = await fetch(`${base}/ui`, { redirect: 'manual' });
    expect(bare.status).to.equal(302);
    expect(bare.headers.get('location')).to.equal('/ui/');
  });

  it('answers the page, never another file of the folder, for any other path below /ui/', async () => {
    for (const path of ['/ui/secret.txt', '/ui/..%2fsecret.txt', '/ui/topology/anything']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).to.equal(200);
      expect(await res.text(), path).to.include('<title>page</title>');
    }
  });

  it('refuses writes with 405 and Vault-shaped errors', async () => {
    const res = await fetch(`${base}/ui/`, { method: 'POST', body: 'x' });
    expect(res.status).to.equal(405);
    expect(((await res.json()) as { errors: string[] }).errors).to.have.length(1);
  });

  it('lets peer dashboards read the unauthenticated replication status cross-origin, and nothing else', async () => {
    // (This core has no replication layer, so the path answers 404; the header is what matters here.)
    const status = await fetch(`${base}/v1/sys/replication/status`);
    expect(status.headers.get('access-control-allow-origin')).to.equal('*');
    const other = await fetch(`${base}/v1/sys/mounts`);
    expect(other.headers.get('access-control-allow-origin')).to.equal(null);
  });

  it('answers 404 with an empty error list when the dashboard was not built', async () => {
    rmSync(join(assets, 'index.html'));
    const res = await fetch(`${base}/ui/`);
    expect(res.status).to.equal(404);
    expect(await res.json()).to.deep.equal({ errors: [] });
  });
});
