import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Request, Response } from 'express';

/** Where Ferry serves a folder of provider releases when `provider_release_dir` is set. */
export const PROVIDER_RELEASE_PREFIX = '/terraform/providers/';

/** Content types Terraform expects: the mirror and registry documents must be application/json. */
function contentType(file: string): string {
  const ext = extname(file);
  if (ext === '' || ext === '.json') return 'application/json';
  if (ext === '.zip') return 'application/zip';
  if (ext === '.asc' || ext === '.hcl' || file.endsWith('_SHA256SUMS')) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

/**
 * Serves the folder `npm run provider:package` writes (dist/release/, one sub-folder per version) read-only
 * and without a token under /terraform/providers/: a network mirror at `…/VERSION/mirror/` and registry
 * documents at `…/VERSION/registry/v1/providers/`. Releases are public artefacts; nothing outside the
 * folder is reachable (no `..`, no dot files, symlinks resolved and checked). Anything else answers 404
 * with Vault's empty error list; only GET and HEAD are served.
 */
export function providerReleaseHandler(releaseDir: string): (req: Request, res: Response) => Promise<void> {
  const root = normalize(releaseDir + sep);
  const notFound = (res: Response): void => void res.status(404).json({ errors: [] });
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .status(405)
        .set('allow', 'GET, HEAD')
        .json({ errors: ['provider releases are read-only'] });
      return;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(req.path.slice(PROVIDER_RELEASE_PREFIX.length));
    } catch {
      notFound(res);
      return;
    }
    if (relative.split('/').some((part) => part.startsWith('.')) || relative.includes('\0')) {
      notFound(res);
      return;
    }
    try {
      const file = await realpath(join(root, relative));
      const realRoot = normalize((await realpath(root)) + sep);
      const info = await stat(file);
      if (!file.startsWith(realRoot) || !info.isFile()) {
        notFound(res);
        return;
      }
      // setHeader, not res.set: Express would append "; charset=utf-8", which Terraform warns about.
      res.status(200);
      res.setHeader('content-type', contentType(file));
      res.setHeader('content-length', String(info.size));
      res.setHeader('cache-control', 'no-cache');
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      createReadStream(file).pipe(res);
    } catch {
      notFound(res);
    }
  };
}
