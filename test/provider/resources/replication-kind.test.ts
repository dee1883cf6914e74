/**
 * The DR kind of the replication resources (ferry_dr_primary, ferry_dr_secondary_token, ferry_dr_secondary)
 * through the provider engine, in process: plans without a server, then the life cycle against two real
 * Ferry dev servers — enable, mint, activate, read, import, drift, destroy with and without a DR operation
 * token. Needs `npm run build` first (the servers run from dist/).
 */
import { expect } from 'chai';
import { decodeRootToken } from '../../../server/core/generate-root.js';
import { createFerryEngine } from '../../../provider/ferry-provider.js';
import { Diagnostics, type AttributePath } from '../../../provider/framework/diagnostics.js';
import { objectFromEntries, unknown, type ObjectValue, type Value } from '../../../provider/framework/values.js';
import { startDevServer, waitFor, type ServerHandle } from '../../helpers/test-cluster.js';

const obj = (entries: Record<string, Value>): ObjectValue => objectFromEntries(Object.entries(entries));
const providerConfig = (server: ServerHandle) =>
  obj({ address: server.addr, token: server.rootToken, ca_cert_file: null, skip_tls_verify: null, auth_login_userpass: null });
const drSecondary = (token: Value, extra: Record<string, Value> = {}) =>
  obj({
    token,
    primary_api_addr: null,
    ca_file: null,
    allow_wipe: null,
    cluster_id: null,
    mode: null,
    state: null,
    pre_wipe_snapshot: null,
    dr_operation_token: null,
    cluster: null,
    ...extra,
  });
const replaced = (paths: AttributePath[]) => paths.map((p) => p.map((s) => ('attribute' in s ? s.attribute : '?')).join('.'));
const warnings = (d: Diagnostics) => d.items.filter((i) => i.severity === 'warning').map((i) => i.summary);

async function drStatus(server: ServerHandle): Promise<Record<string, any>> {
  const res = await server.request('GET', 'sys/replication/dr/status', { token: null });
  expect(res.status, res.text).to.equal(200);
  return res.body.data;
}

describe('provider/resources/replication-kind: the DR resources', function () {
  this.timeout(120_000);

  describe('plans (no server)', () => {
    const engine = createFerryEngine({});
    const active = drSecondary('activation', {
      primary_api_addr: '',
      ca_file: '',
      allow_wipe: false,
      cluster_id: 'c1',
      mode: 'secondary',
      state: 'stream-wals',
      pre_wipe_snapshot: '',
    });

    it('warns on create that activation wipes the cluster and that it then refuses client requests', () => {
      const d = new Diagnostics();
      engine.planResourceChange('ferry_dr_secondary', null, drSecondary('activation'), drSecondary('activation'), d);
      const [w] = d.items;
      expect(w?.summary).to.equal('Activating a DR replication secondary wipes the target cluster');
      expect(w?.detail).to.contain('answers no client request until it is promoted');
    });

    it('warns on destroy without dr_operation_token that the cluster stays a DR secondary; not with one', () => {
      const without = new Diagnostics();
      engine.planResourceChange('ferry_dr_secondary', active, null, null, without);
      expect(warnings(without)).to.deep.equal(['The DR secondary stays a DR secondary']);
      const withToken = new Diagnostics();
      engine.planResourceChange('ferry_dr_secondary', obj({ ...active, dr_operation_token: 'op' }), null, null, withToken);
      expect(withToken.items).to.deep.equal([]);
    });

    it('records a new dr_operation_token in place; a new activation token replaces', () => {
      const withOp = obj({ ...active, dr_operation_token: 'op' });
      const configOp = drSecondary('activation', { dr_operation_token: 'op' });
      expect(engine.planResourceChange('ferry_dr_secondary', active, withOp, configOp, new Diagnostics()).requiresReplace).to.deep.equal([]);
      const moved = obj({ ...active, token: 'another' });
      expect(replaced(engine.planResourceChange('ferry_dr_secondary', active, moved, drSecondary('another'), new Diagnostics()).requiresReplace)).to.deep.equal(
        ['token'],
      );
    });

    it('serves dr_operation_token (sensitive) on ferry_dr_secondary only', () => {
      const schema = engine.provider
        .resources()
        .find((r) => r.metadata().typeName === 'ferry_dr_secondary')
        ?.schema();
      expect(schema?.block.attributes['dr_operation_token']).to.include({ optional: true, sensitive: true });
      const performance = engine.provider
        .resources()
        .find((r) => r.metadata().typeName === 'ferry_replication_secondary')
        ?.schema();
      expect(performance?.block.attributes).to.not.have.property('dr_operation_token');
    });
  });

  describe('life cycle against a real DR pair', () => {
    let primary: ServerHandle;
    let secondary: ServerHandle;
    const onPrimary = createFerryEngine({});
    const onSecondary = createFerryEngine({});
    let tokenState: Value;
    let secondaryState: ObjectValue;

    before(async () => {
      [primary, secondary] = await Promise.all([startDevServer(), startDevServer()]);
      for (const [engine, server] of [
        [onPrimary, primary],
        [onSecondary, secondary],
      ] as const) {
        const d = new Diagnostics();
        await engine.configure(providerConfig(server), d);
        expect(d.items).to.deep.equal([]);
      }
    });
    after(async () => Promise.all([primary?.stop(), secondary?.stop()]));

    const apply = async (engine: ReturnType<typeof createFerryEngine>, type: string, prior: Value, planned: Value, config: Value = planned) => {
      const d = new Diagnostics();
      const state = await engine.applyResourceChange(type, prior, planned, config, d);
      expect(d.items).to.deep.equal([]);
      return state;
    };
    const read = async (engine: ReturnType<typeof createFerryEngine>, type: string, state: Value) => {
      const d = new Diagnostics();
      const next = await engine.readResource(type, state, d);
      expect(d.items).to.deep.equal([]);
      return next;
    };

    it('ferry_dr_primary enables DR on the primary (performance replication untouched) and reads back unchanged', async () => {
      const planned = obj({ primary_cluster_addr: unknown, cluster_id: unknown, mode: unknown, cluster: null });
      const state = (await apply(
        onPrimary,
        'ferry_dr_primary',
        null,
        planned,
        obj({ primary_cluster_addr: null, cluster_id: null, mode: null, cluster: null }),
      )) as ObjectValue;
      expect(state['mode']).to.equal('primary');
      expect(state['cluster_id']).to.be.a('string').and.not.equal('');
      expect((await drStatus(primary)).mode).to.equal('primary');
      const perf = await primary.request('GET', 'sys/replication/performance/status', { token: null });
      expect(perf.body.data.mode).to.equal('disabled');
      expect(await read(onPrimary, 'ferry_dr_primary', state)).to.deep.equal(state);
    });

    it('ferry_dr_secondary_token mints a wrapped token for the ID; ferry_dr_secondary activates the secondary with it', async () => {
      const token = obj({ secondary_id: 'dr', ttl: '30m', token: unknown, cluster: null });
      tokenState = await apply(onPrimary, 'ferry_dr_secondary_token', null, token, obj({ secondary_id: 'dr', ttl: null, token: null, cluster: null }));
      const activation = (tokenState as ObjectValue)['token'];
      expect(activation).to.be.a('string').and.not.equal('');
      const planned = drSecondary(activation as string, {
        primary_api_addr: '',
        ca_file: '',
        allow_wipe: false,
        cluster_id: unknown,
        mode: unknown,
        state: unknown,
        pre_wipe_snapshot: unknown,
      });
      secondaryState = (await apply(onSecondary, 'ferry_dr_secondary', null, planned, drSecondary(activation as string))) as ObjectValue;
      expect(secondaryState).to.deep.include({ mode: 'secondary', state: 'stream-wals', dr_operation_token: null });
      expect(await drStatus(secondary)).to.include({ mode: 'secondary' });
      expect((await drStatus(primary)).known_secondaries).to.deep.equal(['dr']);
    });

    it('reads both without drift: the used token stays while the primary knows the secondary', async () => {
      expect(await read(onPrimary, 'ferry_dr_secondary_token', tokenState)).to.deep.equal(tokenState);
      expect(await read(onSecondary, 'ferry_dr_secondary', secondaryState)).to.deep.equal(secondaryState);
    });

    it('imports the DR primary and the DR secondary by any ID; the read fills the status attributes', async () => {
      for (const [engine, type, mode] of [
        [onPrimary, 'ferry_dr_primary', 'primary'],
        [onSecondary, 'ferry_dr_secondary', 'secondary'],
      ] as const) {
        const d = new Diagnostics();
        const imported = await engine.importResourceState(type, 'x', d);
        expect(d.items).to.deep.equal([]);
        expect(await read(engine, type, imported)).to.deep.include({ mode });
      }
    });

    it('destroying ferry_dr_secondary without dr_operation_token forgets it: the cluster stays a DR secondary', async () => {
      expect(await apply(onSecondary, 'ferry_dr_secondary', secondaryState, null)).to.equal(null);
      expect((await drStatus(secondary)).mode).to.equal('secondary');
    });

    it('with a DR operation token (generated with the primary’s key share, recorded in place) destroying disables the DR secondary', async () => {
      const start = await secondary.request('PUT', 'sys/replication/dr/secondary/generate-operation-token/attempt', { token: null, body: {} });
      expect(start.status, start.text).to.equal(200);
      const { nonce, otp } = start.body as { nonce: string; otp: string };
      let last: Record<string, any> = {};
      for (const key of primary.unsealKeys.slice(0, primary.unsealThreshold)) {
        const res = await secondary.request('PUT', 'sys/replication/dr/secondary/generate-operation-token/update', { token: null, body: { key, nonce } });
        expect(res.status, res.text).to.equal(200);
        last = res.body;
      }
      expect(last['complete']).to.equal(true);
      const operationToken = decodeRootToken(last['encoded_token'] as string, otp);
      const withOp = obj({ ...secondaryState, dr_operation_token: operationToken });
      const recorded = await apply(onSecondary, 'ferry_dr_secondary', secondaryState, withOp);
      expect(recorded).to.deep.equal(withOp);
      expect(await apply(onSecondary, 'ferry_dr_secondary', recorded, null)).to.equal(null);
      await waitFor(async () => ((await drStatus(secondary)).mode === 'disabled' ? true : undefined), {
        timeoutMs: 30_000,
        description: 'DR disabled on the secondary',
      });
      // Drift: a cluster that is no longer a DR secondary reads as gone, so the next plan activates it again.
      expect(await read(onSecondary, 'ferry_dr_secondary', secondaryState)).to.equal(null);
    });

    it('destroying the token revokes the secondary, destroying the DR primary disables DR', async () => {
      expect(await apply(onPrimary, 'ferry_dr_secondary_token', tokenState, null)).to.equal(null);
      expect((await drStatus(primary)).known_secondaries ?? []).to.deep.equal([]);
      const primaryState = await read(onPrimary, 'ferry_dr_primary', obj({ primary_cluster_addr: '', cluster_id: '', mode: 'primary', cluster: null }));
      expect(await apply(onPrimary, 'ferry_dr_primary', primaryState, null)).to.equal(null);
      expect((await drStatus(primary)).mode).to.equal('disabled');
    });
  });
});
