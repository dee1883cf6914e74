import { expect } from 'chai';
import { startInProcessCore } from '../../helpers/in-process-core.js';

describe('MountTable', () => {
  // Regression: enabling two mounts at once read the stored list twice and wrote it twice, so one
  // enable was lost (seen as terraform's "Mount missing after write" for parallel local mounts).
  it('keeps every mount when many are enabled at the same time, replicated and local alike', async () => {
    const env = await startInProcessCore();
    try {
      const paths = Array.from({ length: 12 }, (_, i) => `par-${i}`);
      await Promise.all(paths.map((path, i) => env.call('update', `sys/mounts/${path}`, { data: { type: 'kv', local: i % 2 === 0 } })));
      const listed = Object.keys((await env.call('read', 'sys/mounts'))?.data ?? {});
      for (const path of paths) expect(listed, path).to.include(`${path}/`);
      // And they survive a reload from storage, as another node or a restart would see them.
      await env.core.mounts.load();
      for (const path of paths) expect(env.core.mounts.get(`${path}/`), path).to.not.equal(undefined);
    } finally {
      await env.core.sealCore();
    }
  });

  it('keeps every auth method when many are enabled at the same time', async () => {
    const env = await startInProcessCore();
    try {
      const paths = Array.from({ length: 8 }, (_, i) => `up-${i}`);
      await Promise.all(paths.map((path) => env.call('update', `sys/auth/${path}`, { data: { type: 'userpass' } })));
      await env.core.auths.load();
      for (const path of paths) expect(env.core.auths.get(`${path}/`), path).to.not.equal(undefined);
    } finally {
      await env.core.sealCore();
    }
  });
});
