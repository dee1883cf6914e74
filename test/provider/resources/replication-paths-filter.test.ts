/**
 * ferry_replication_paths_filter through the provider engine, in process: plans without a server, then
 * apply, read, drift, import, update in place and delete against a real Ferry dev server that is a
 * performance primary. Needs `npm run build` first (the server runs from dist/).
 */
import { expect } from 'chai';
import { createFerryEngine } from '../../../provider/ferry-provider.js';
import { Diagnostics, type AttributePath } from '../../../provider/framework/diagnostics.js';
import { objectFromEntries, type ObjectValue, type Value } from '../../../provider/framework/values.js';
import { pathsAsConfigured } from '../../../provider/resources/replication-paths-filter.js';
import { startDevServer, type ServerHandle } from '../../helpers/test-cluster.js';

const TYPE = 'ferry_replication_paths_filter';
const obj = (entries: Record<string, Value>): ObjectValue => objectFromEntries(Object.entries(entries));
const filter = (mode: string, paths: string[], secondaryId = 'eu') => obj({ secondary_id: secondaryId, mode, paths, cluster: null });
const errors = (d: Diagnostics) =>
  d.items
    .filter((i) => i.severity === 'error')
    .map((i) => ({ summary: i.summary, path: (i.path ?? []).map((s) => ('attribute' in s ? s.attribute : '?')).join('.') }));
const replaced = (paths: AttributePath[]) => paths.map((p) => p.map((s) => ('attribute' in s ? s.attribute : '?')).join('.'));

describe('provider/resources/replication-paths-filter', function () {
  this.timeout(60_000);

  describe('plan and validation (no server)', () => {
    const engine = createFerryEngine({});

    it('accepts allow and deny with mount paths; refuses another mode, an empty list, a blank path and a built-in mount, on their attributes', () => {
      for (const ok of [filter('deny', ['secret-eu/']), filter('allow', ['secret-eu', 'apps/'])]) {
        const d = new Diagnostics();
        engine.validateResourceConfig(TYPE, ok, d);
        expect(d.items).to.deep.equal([]);
      }
      const cases: Array<[ObjectValue, string]> = [
        [filter('block', ['secret-eu/']), 'mode'],
        [filter('deny', []), 'paths'],
        [filter('deny', ['/']), 'paths'],
        [filter('deny', ['secret eu/']), 'paths'],
        [filter('deny', ['sys/']), 'paths'],
        [filter('allow', ['auth/token']), 'paths'],
        [filter('deny', ['secret-eu/'], 'a/b'), 'secondary_id'],
      ];
      for (const [config, path] of cases) {
        const d = new Diagnostics();
        engine.validateResourceConfig(TYPE, config, d);
        expect(
          errors(d).map((e) => e.path),
          JSON.stringify(config),
        ).to.deep.equal([path]);
      }
    });

    it('updates mode and paths in place; a new secondary_id replaces the filter', () => {
      const prior = filter('deny', ['secret-eu/']);
      for (const next of [filter('allow', ['secret-eu/']), filter('deny', ['secret-eu/', 'apps/'])]) {
        const plan = engine.planResourceChange(TYPE, prior, next, next, new Diagnostics());
        expect(plan.requiresReplace).to.deep.equal([]);
        expect(plan.planned).to.deep.equal(next);
      }
      const moved = filter('deny', ['secret-eu/'], 'us');
      expect(replaced(engine.planResourceChange(TYPE, prior, moved, moved, new Diagnostics()).requiresReplace)).to.deep.equal(['secondary_id']);
    });

    it('warns that the secondary resyncs when a filter is written or changed, not when nothing changes or on destroy', () => {
      const prior = filter('deny', ['secret-eu/', 'apps/']);
      const summaries = (p: ObjectValue | null, next: ObjectValue | null) => {
        const d = new Diagnostics();
        engine.planResourceChange(TYPE, p, next, next, d);
        return d.items.map((i) => `${i.severity}: ${i.summary}`);
      };
      const resync = ['warning: The secondary resyncs under the new paths filter'];
      expect(summaries(null, prior)).to.deep.equal(resync);
      expect(summaries(prior, filter('allow', ['secret-eu/', 'apps/']))).to.deep.equal(resync);
      expect(summaries(prior, filter('deny', ['secret-eu/']))).to.deep.equal(resync);
      expect(summaries(prior, filter('deny', ['apps/', 'secret-eu/']))).to.deep.equal([]); // a set: same filter
      expect(summaries(prior, null)).to.deep.equal([]);
    });

    it("keeps the configuration's spelling of a mount the server spells with or without its slash", () => {
      expect(pathsAsConfigured(['secret-eu/', 'apps/'], ['secret-eu', 'apps/'])).to.deep.equal(['secret-eu', 'apps/']);
      expect(pathsAsConfigured(['secret-eu/', 'other/'], ['secret-eu'])).to.deep.equal(['secret-eu', 'other/']);
      expect(pathsAsConfigured(['secret-eu/'], undefined)).to.deep.equal(['secret-eu/']);
    });
  });

  describe('against a real performance primary', () => {
    let primary: ServerHandle;
    const engine = createFerryEngine({});
    const path = 'sys/replication/performance/primary/paths-filter/eu';

    before(async () => {
      primary = await startDevServer();
      const d = new Diagnostics();
      await engine.configure(obj({ address: primary.addr, token: primary.rootToken, ca_cert_file: null, skip_tls_verify: null, auth_login_userpass: null }), d);
      expect(d.items).to.deep.equal([]);
      for (const [p, body] of [
        ['sys/replication/performance/primary/enable', {}],
        ['sys/replication/performance/primary/secondary-token', { id: 'eu' }],
      ] as const) {
        const res = await primary.request('POST', p, { body });
        expect(res.status, res.text).to.be.lessThan(300);
      }
    });
    after(async () => primary?.stop());

    const apply = async (prior: Value, planned: Value): Promise<Value> => {
      const d = new Diagnostics();
      const state = await engine.applyResourceChange(TYPE, prior, planned, planned, d);
      expect(d.items).to.deep.equal([]);
      return state;
    };
    const read = async (state: Value): Promise<Value> => {
      const d = new Diagnostics();
      const next = await engine.readResource(TYPE, state, d);
      expect(d.items).to.deep.equal([]);
      return next;
    };
    const serverFilter = async () => {
      const res = await primary.request('GET', path);
      return res.status === 200 ? { mode: res.body.data.mode as string, paths: [...(res.body.data.paths as string[])].sort() } : res.status;
    };

    it('creates the filter on the primary and reads it back unchanged (no drift)', async () => {
      const state = await apply(null, filter('deny', ['secret-eu/']));
      expect(await serverFilter()).to.deep.equal({ mode: 'deny', paths: ['secret-eu/'] });
      expect(await read(state)).to.deep.equal(state);
    });

    it('updates in place: the primary holds the new mode and paths', async () => {
      const prior = filter('deny', ['secret-eu/']);
      const next = filter('allow', ['secret-eu/', 'apps/']);
      expect(await apply(prior, next)).to.deep.equal(next);
      expect(await serverFilter()).to.deep.equal({ mode: 'allow', paths: ['apps/', 'secret-eu/'] });
    });

    it('sees a filter changed outside Terraform (drift), and one deleted outside as gone', async () => {
      const state = filter('allow', ['secret-eu/', 'apps/']);
      const res = await primary.request('POST', path, { body: { mode: 'deny', paths: ['billing/'] } });
      expect(res.status, res.text).to.be.lessThan(300);
      const drifted = (await read(state)) as ObjectValue;
      expect(drifted['mode']).to.equal('deny');
      expect(drifted['paths']).to.deep.equal(['billing/']);
      expect((await primary.request('DELETE', path)).status).to.be.lessThan(300);
      expect(await read(state)).to.equal(null);
    });

    it('imports by secondary ID; the read fills mode and paths', async () => {
      const res = await primary.request('POST', path, { body: { mode: 'deny', paths: ['secret-eu/'] } });
      expect(res.status, res.text).to.be.lessThan(300);
      const d = new Diagnostics();
      const imported = await engine.importResourceState(TYPE, 'eu', d);
      expect(d.items).to.deep.equal([]);
      const state = (await read(imported)) as ObjectValue;
      expect(state).to.deep.include({ secondary_id: 'eu', mode: 'deny', paths: ['secret-eu/'] });
    });

    it('deletes the filter (and deleting one already gone is not an error)', async () => {
      const state = filter('deny', ['secret-eu/']);
      const res = await primary.request('POST', path, { body: { mode: 'deny', paths: ['secret-eu/'] } });
      expect(res.status, res.text).to.be.lessThan(300);
      expect(await serverFilter()).to.deep.equal({ mode: 'deny', paths: ['secret-eu/'] });
      expect(await apply(state, null)).to.equal(null);
      expect(await serverFilter()).to.equal(404);
      expect(await apply(state, null)).to.equal(null);
    });
  });
});
