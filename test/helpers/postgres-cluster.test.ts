import { expect } from 'chai';
import { requirePostgresBinaries, startPostgresCluster } from './postgres-cluster.js';

describe('postgres-cluster helper', () => {
  describe('without PostgreSQL on PATH', () => {
    let savedPath: string | undefined;
    beforeEach(() => {
      savedPath = process.env.PATH;
      process.env.PATH = '/nonexistent-ferry-test-dir';
    });
    afterEach(() => {
      process.env.PATH = savedPath;
    });

    it("fails loudly, naming the missing binaries and Debian's postgresql package", () => {
      expect(() => requirePostgresBinaries()).to.throw(/not found on PATH: initdb, pg_ctl, postgres\..*apt-get install -y postgresql/);
    });

    it('refuses to start a cluster (never a skip)', async () => {
      const failure = await startPostgresCluster().catch((err: unknown) => err);
      expect((failure as Error).message).to.match(/install Debian's "postgresql" package/);
    });
  });
});
