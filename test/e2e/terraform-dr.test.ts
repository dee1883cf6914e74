/**
 * examples/terraform extended with a DR secondary and a filtered performance secondary, applied with the real
 * `terraform` CLI (the provider from a filesystem mirror) against four Ferry dev servers (primary, east, west behind a paths filter, dr): both come
 * up, a second plan is empty, changing the filter updates it in place (and the primary ships accordingly),
 * an imported filter plans nothing, and removing the filter resource removes the filter. Needs
 * `npm run build` first (the servers and the provider run from dist/).
 */
import { randomBytes } from 'node:crypto';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { installFilesystemMirror } from '../../provider/filesystem-mirror.js';
import { repoRoot } from '../../provider/paths.js';
import { startDevServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';
import { requireTerraform, TerraformWorkdir } from '../provider/helpers/terraform-cli.js';

const FILTER = 'module.secondary["west"].ferry_replication_paths_filter.this[0]';
const FILTER_PATH = 'sys/replication/performance/primary/paths-filter/west';

interface ResourceChange {
  address: string;
  change: { actions: string[] };
}

describe('terraform: the example module with a DR secondary and a paths-filtered secondary (real terraform, four Ferry servers)', function () {
  this.timeout(420_000);
  const rootToken = `root-${randomBytes(12).toString('hex')}`;
  let primary: ServerHandle;
  let east: ServerHandle;
  let west: ServerHandle;
  let dr: ServerHandle;
  let work: TerraformWorkdir;
  let env: Record<string, string>;
  const tf = (args: string[], codes?: number[]) => work.expect(['-chdir=hcl', ...args], codes, env);

  /** Writes the module's variables: west's paths filter as given (null: none). */
  const writeVars = (westFilter: { mode: string; paths: string[] } | null) =>
    writeFileSync(
      join(work.dir, 'hcl', 'terraform.tfvars.json'),
      JSON.stringify({
        primary_address: primary.addr,
        audit_dir: work.dir,
        secondaries: { east: { address: east.addr }, west: { address: west.addr, paths_filter: westFilter } },
        dr_secondaries: { dr: { address: dr.addr } },
      }),
    );

  /** The changes a plan would make, from `terraform show -json` of a saved plan (no-ops left out). */
  async function plannedChanges(): Promise<ResourceChange[]> {
    await tf(['plan', '-no-color', '-out=tfplan']);
    const plan = JSON.parse((await tf(['show', '-json', '-no-color', 'tfplan'])).stdout) as { resource_changes?: ResourceChange[] };
    return (plan.resource_changes ?? []).filter((c) => !(c.change.actions.length === 1 && c.change.actions[0] === 'no-op'));
  }

  const status = async (server: ServerHandle, kind: 'performance' | 'dr') =>
    (await server.request('GET', `sys/replication/${kind}/status`, { token: null })).body?.data as Record<string, any>;
  const readable = async (server: ServerHandle, path: string) => (await server.request('GET', path)).status === 200;
  /** West is back to `stream-wals` after the resync a filter change causes. */
  const streamingAgain = () =>
    waitFor(async () => ((await status(west, 'performance')).state === 'stream-wals' ? true : undefined), {
      timeoutMs: 60_000,
      description: 'west streaming again after its resync',
    });

  before(async () => {
    requireTerraform();
    work = new TerraformWorkdir('ferry-tf-dr-');
    const [servers, mirror] = await Promise.all([
      Promise.all([0, 1, 2, 3].map(() => startDevServer({ rootTokenId: rootToken }))),
      installFilesystemMirror(join(work.dir, 'mirror')),
    ]);
    [primary, east, west, dr] = servers as [ServerHandle, ServerHandle, ServerHandle, ServerHandle];
    env = { TF_CLI_CONFIG_FILE: mirror.cliConfigFile, TF_VAR_ferry_token: rootToken };
    cpSync(join(repoRoot, 'examples', 'terraform'), join(work.dir, 'hcl'), {
      recursive: true,
      filter: (src) => !/[/\\](\.terraform|terraform\.tfstate)/.test(src),
    });
    // Data under secret-eu/ exists on the primary before anything is activated: the bootstrap must filter it too.
    expect((await primary.request('POST', 'sys/mounts/secret-eu', { body: { type: 'kv' } })).status).to.be.lessThan(300);
    expect((await primary.request('POST', 'secret-eu/customer', { body: { region: 'eu' } })).status).to.be.lessThan(300);
    writeVars({ mode: 'deny', paths: ['secret-eu/'] });
    await tf(['init', '-no-color']);
  });

  after(() => work?.remove());

  it('applies: the primary is performance and DR primary, east and west stream, the DR secondary streams', async () => {
    const apply = await tf(['apply', '-auto-approve', '-no-color']);
    expect(apply.stdout).to.match(/"east" = "stream-wals"/);
    expect(apply.stdout).to.match(/"west" = "stream-wals"/);
    expect(apply.stdout).to.match(/dr_secondary_states = \{\s*"dr" = "stream-wals"/);
    expect(apply.stdout + apply.stderr).to.not.contain(rootToken);
    expect((await status(primary, 'performance')).mode).to.equal('primary');
    expect((await status(primary, 'dr')).mode).to.equal('primary');
    expect(await status(dr, 'dr')).to.include({ mode: 'secondary', state: 'stream-wals' });
    // A DR secondary answers no client request (Vault's 400), whatever the token.
    expect((await dr.request('GET', 'apps/anything')).status).to.equal(400);
  });

  it('keeps secret-eu/ from west (bootstrap and stream) while east receives it; the filter is on the primary', async () => {
    expect((await primary.request('GET', FILTER_PATH)).body.data).to.deep.equal({ mode: 'deny', paths: ['secret-eu/'] });
    expect((await primary.request('POST', 'secret-eu/after', { body: { n: '1' } })).status).to.be.lessThan(300);
    expect((await primary.request('POST', 'apps/marker', { body: { n: '1' } })).status).to.be.lessThan(300);
    await waitFor(async () => ((await readable(east, 'secret-eu/after')) ? true : undefined), { timeoutMs: 30_000, description: 'secret-eu/after on east' });
    // apps/marker was written after secret-eu/after: once west has it, west has seen (and dropped) the other.
    await waitFor(async () => ((await readable(west, 'apps/marker')) ? true : undefined), { timeoutMs: 30_000, description: 'apps/marker on west' });
    expect(await readable(east, 'secret-eu/customer')).to.equal(true);
    expect(await readable(west, 'secret-eu/customer')).to.equal(false);
    expect(await readable(west, 'secret-eu/after')).to.equal(false);
  });

  it('plans no changes right after apply', async () => {
    await tf(['plan', '-detailed-exitcode', '-no-color'], [0]);
  });

  it('changing the filter in the configuration updates it in place; the primary then ships only secret-eu/ to west', async () => {
    writeVars({ mode: 'allow', paths: ['secret-eu/'] });
    const changes = await plannedChanges();
    expect(changes.map((c) => [c.address, c.change.actions])).to.deep.equal([[FILTER, ['update']]]);
    await tf(['apply', '-auto-approve', '-no-color', 'tfplan']);
    expect((await primary.request('GET', FILTER_PATH)).body.data).to.deep.equal({ mode: 'allow', paths: ['secret-eu/'] });
    await waitFor(async () => ((await readable(west, 'secret-eu/customer')) ? true : undefined), {
      timeoutMs: 60_000,
      description: 'secret-eu/customer on west',
    });
    await waitFor(async () => ((await readable(west, 'apps/marker')) ? undefined : true), { timeoutMs: 60_000, description: 'apps/marker gone from west' });
    await tf(['plan', '-detailed-exitcode', '-no-color'], [0]);
  });

  it('detects a filter changed outside Terraform, and imports one by secondary ID with an empty plan after', async () => {
    expect((await primary.request('POST', FILTER_PATH, { body: { mode: 'deny', paths: ['apps/'] } })).status).to.be.lessThan(300);
    expect((await plannedChanges()).map((c) => [c.address, c.change.actions])).to.deep.equal([[FILTER, ['update']]]);
    await tf(['apply', '-auto-approve', '-no-color', 'tfplan']);
    expect((await primary.request('GET', FILTER_PATH)).body.data).to.deep.equal({ mode: 'allow', paths: ['secret-eu/'] });
    // The filter change makes west resync; once it streams again, the state records that (an output shows it).
    await streamingAgain();
    await tf(['apply', '-refresh-only', '-auto-approve', '-no-color']);
    await tf(['state', 'rm', '-no-color', FILTER]);
    await tf(['import', '-no-color', FILTER, 'west']);
    // No resource to change; an output showing west's live link state may still follow its resync.
    expect(await plannedChanges()).to.deep.equal([]);
  });

  it('removing the filter from the configuration deletes only the filter: west receives everything again', async () => {
    writeVars(null);
    expect((await plannedChanges()).map((c) => [c.address, c.change.actions])).to.deep.equal([[FILTER, ['delete']]]);
    await tf(['apply', '-auto-approve', '-no-color', 'tfplan']);
    expect((await primary.request('GET', FILTER_PATH)).status).to.equal(404);
    await waitFor(async () => ((await readable(west, 'apps/marker')) ? true : undefined), { timeoutMs: 60_000, description: 'apps/marker back on west' });
    expect(await readable(west, 'secret-eu/customer')).to.equal(true);
    await streamingAgain();
    expect(await plannedChanges()).to.deep.equal([]);
  });
});
