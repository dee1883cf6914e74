import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request, Response } from 'express';

/** Where every Ferry server serves the replication dashboard. */
export const UI_PREFIX = '/ui/';

/**
 * The status paths a dashboard on another cluster of the same replication set may read
 * cross-origin. They are unauthenticated and hold no secret (ids, addresses, WAL indexes, Merkle
 * roots); the page never sends a token to a peer, so no preflight and no credentials are involved.
 */
export const PEER_READABLE_STATUS_PATHS = ['/v1/sys/replication/status', '/v1/sys/replication/performance/status', '/v1/sys/replication/dr/status'];

/**
 * Scripts and styles only from this server, no inline code, no frames, no forms posting away. The
 * page reads its peers' unauthenticated replication status, hence `connect-src` beyond 'self'.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' http: https:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The files `npm run build` writes to dist/ui/ (ui-bundle-builder); nothing else is served. */
const ASSETS: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};

/**
 * The built assets: dist/ui/ next to the compiled server, or, when the server runs from source
 * (tsx), the checkout's dist/ui/.
 */
export function defaultUiAssetsDir(): string {
  const candidates = [fileURLToPath(new URL('../../ui/', import.meta.url)), fileURLToPath(new URL('../../dist/ui/', import.meta.url))];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? (candidates[0] as string);
}

/**
 * Serves the dashboard's static files under /ui/ (GET and HEAD, no token: the page logs in itself).
 * Any other path below /ui/ answers the page, so a reload keeps working; a missing build answers
 * 404 with Vault's empty error list.
 */
export function uiHandler(assetsDir: string): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .status(405)
        .set('allow', 'GET, HEAD')
        .json({ errors: ['the dashboard is read-only'] });
      return;
    }
    if (req.path === '/ui') {
      res.redirect(302, UI_PREFIX);
      return;
    }
    const name = req.path.slice(UI_PREFIX.length);
    const file = Object.hasOwn(ASSETS, name) ? name : 'index.html';
    let body: Buffer;
    try {
      body = await readFile(join(assetsDir, file));
    } catch {
      res.status(404).json({ errors: [] });
      return;
    }
    res.status(200);
    res.setHeader('content-type', ASSETS[file] as string);
    res.setHeader('content-length', String(body.length));
    res.setHeader('content-security-policy', UI_CONTENT_SECURITY_POLICY);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('cache-control', 'no-cache');
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
