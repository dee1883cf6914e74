import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startDevServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';

/** Debian's chromium (`apt-get install -y chromium chromium-driver`); .ci/run installs it when absent. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Screenshots of every step land here (ignored by git). */
const OUTPUT_DIR = fileURLToPath(new URL('../../test-output/dashboard/', import.meta.url));

/**
 * The replication dashboard in a real browser (Debian's chromium, driven by playwright-core): three
 * dev servers (primary, two secondaries), sign-in, both links streaming, a SIGSTOPped secondary
 * marked behind and then recovered, an activation token minted in the UI and used over REST by a
 * fourth server, and a revoke from the UI. No secret value and no token but the minted one ever
 * reaches the page.
 */
describe('replication dashboard in the browser', function () {
  this.timeout(240_000);
  const root = `dash-root-${Date.now().toString(36)}`;
  const secretValue = `dashboard-must-not-show-${Date.now().toString(36)}`;
  const servers: ServerHandle[] = [];
  let primary: ServerHandle;
  let s1: ServerHandle;
  let s2: ServerHandle;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;

  const status = async (s: ServerHandle) => (await s.request('GET', 'sys/replication/status', { token: null })).body.data;
  const mint = async (id: string): Promise<string> => {
    const res = await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id } });
    expect(res.status, res.text).to.equal(200);
    return res.body.wrap_info.token as string;
  };
  const streaming = (s: ServerHandle) =>
    waitFor(async () => ((await status(s)).state === 'stream-wals' ? true : undefined), { timeoutMs: 30_000, description: 'secondary streaming' });
  const row = (id: string) => page.locator(`#links tr[data-secondary="${id}"]`);
  const shot = (name: string) => page.screenshot({ path: join(OUTPUT_DIR, `${name}.png`), fullPage: true });
  /** Nothing secret in the page: not the root token, not a stored secret value, nowhere in storage but the session token. */
  const expectNoSecretsShown = async () => {
    const html = await page.content();
    expect(html).not.to.include(root);
    expect(html).not.to.include(secretValue);
    expect(await page.evaluate<string>('JSON.stringify(localStorage)')).to.equal('{}');
  };

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: the dashboard's browser tests need Debian's chromium (apt-get install -y chromium chromium-driver)`);
    }
    mkdirSync(OUTPUT_DIR, { recursive: true });
    [primary, s1, s2] = await Promise.all([
      startDevServer({ rootTokenId: root }),
      startDevServer({ rootTokenId: root }),
      startDevServer({ rootTokenId: root }),
    ]);
    servers.push(primary, s1, s2);
    expect((await primary.request('POST', 'sys/replication/primary/enable')).status).to.be.oneOf([200, 204]);
    for (const [s, id] of [
      [s1, 's1'],
      [s2, 's2'],
    ] as const) {
      const res = await s.request('POST', 'sys/replication/secondary/enable', { body: { token: await mint(id) } });
      expect(res.status, res.text).to.be.oneOf([200, 204]);
    }
    await Promise.all([streaming(s1), streaming(s2)]);
    expect((await primary.request('POST', 'secret/data/app', { body: { data: { password: secretValue } } })).status).to.equal(200);

    userDataDir = mkdtempSync(join(tmpdir(), 'ferry-chromium-'));
    // An empty profile of its own (Playwright passes it as --user-data-dir).
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
    });
    page = context.pages()[0] ?? (await context.newPage());
  });

  after(async () => {
    for (const s of servers) if (s.process?.pid !== undefined && s.process.exitCode === null) s.process.kill('SIGCONT');
    await context?.close();
    if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('signs in with a token from the keyboard and keeps it in sessionStorage only', async () => {
    await page.goto(`${primary.addr}/ui/`);
    await page.getByLabel('Token', { exact: true }).focus();
    await page.keyboard.type(root);
    await page.keyboard.press('Enter');
    await page.locator('#roles').filter({ hasText: 'performance primary' }).waitFor({ timeout: 15_000 });
    expect(await page.evaluate<string[]>('Object.keys(sessionStorage)')).to.deep.equal(['ferry.token']);
    await expectNoSecretsShown();
  });

  it('shows both secondaries streaming (stream-wals) in the topology, with Merkle roots in sync', async () => {
    for (const id of ['s1', 's2']) {
      await page.locator(`#links tr[data-secondary="${id}"][data-state="stream-wals"][data-behind="false"]`).waitFor({ timeout: 20_000 });
      await page.locator(`#topology g.edge[data-secondary="${id}"][data-state="stream-wals"]`).waitFor({ timeout: 5_000 });
      await page.locator(`#merkle tr[data-merkle="${id}"]`).filter({ hasText: 'in sync' }).first().waitFor({ timeout: 20_000 });
    }
    // What the primary reports of each secondary: the last WAL index it streamed, caught up here.
    await waitFor(
      async () => {
        const st = await status(primary);
        return st.secondaries.every((e: { last_streamed_wal: number }) => e.last_streamed_wal === st.last_wal) ? true : undefined;
      },
      { timeoutMs: 10_000, description: 'last_streamed_wal equal to last_wal' },
    );
    // The server answers Vault's paths-filter endpoint: no filter is set, and an editor is offered per secondary.
    expect(await page.locator('#links tr[data-secondary="s1"] td').last().textContent()).to.equal('none');
    expect(await page.getByRole('button', { name: /^Paths filter of/ }).count()).to.equal(2);
    expect(await page.locator('#notes').textContent()).to.include('DR replication: disabled');
    await page.locator('#topology').screenshot({ path: join(OUTPUT_DIR, 'topology.png') });
    await shot('01-streaming');
  });

  it('on a secondary: shows its primary streaming, the Merkle roots in sync, and explains "never two primaries" before a promotion', async () => {
    const other = await context.newPage();
    await other.goto(`${s1.addr}/ui/`);
    await other.getByLabel('Token', { exact: true }).fill(root);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.locator('#roles').filter({ hasText: 'performance secondary' }).waitFor({ timeout: 15_000 });
    await other.locator('#topology g.edge[data-state="stream-wals"][data-behind="false"]').waitFor({ timeout: 20_000 });
    await other.locator('#merkle tr[data-merkle="this cluster"]').filter({ hasText: 'in sync' }).waitFor({ timeout: 20_000 });
    await other.getByRole('button', { name: 'Promote…' }).click();
    const dialog = other.locator('dialog[open]');
    await dialog.getByText('still connected to a live primary').waitFor();
    await other.screenshot({ path: join(OUTPUT_DIR, '09-secondary-promote-dialog.png'), fullPage: true });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 5_000 });
    expect((await status(s1)).mode).to.equal('secondary');
    await other.close();
  });

  it('marks a SIGSTOPped secondary behind within seconds, and recovered after SIGCONT', async () => {
    let writing = true;
    let written = 0;
    const writer = (async () => {
      // Steady writes keep the paused secondary's stream filling up (its heartbeat and WAL stall).
      while (writing) {
        await primary.request('POST', `secret/data/load-${written % 50}`, { body: { data: { v: 'x'.repeat(4096) } } });
        written++;
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    try {
      expect(s2.process?.kill('SIGSTOP')).to.equal(true);
      const stoppedAt = Date.now();
      await row('s2').and(page.locator('[data-behind="true"]')).waitFor({ timeout: 20_000 });
      const markedAfterMs = Date.now() - stoppedAt;
      console.log(`      dashboard marked s2 behind ${markedAfterMs} ms after SIGSTOP`);
      expect(markedAfterMs).to.be.below(15_000);
      expect(await row('s1').getAttribute('data-behind')).to.equal('false');
      await page.locator('#topology g.edge[data-secondary="s2"][data-behind="true"]').waitFor({ timeout: 5_000 });
      await shot('02-s2-behind');
      expect(s2.process?.kill('SIGCONT')).to.equal(true);
      const resumedAt = Date.now();
      await page.locator('#links tr[data-secondary="s2"][data-state="stream-wals"][data-behind="false"]').waitFor({ timeout: 30_000 });
      console.log(`      dashboard showed s2 recovered ${Date.now() - resumedAt} ms after SIGCONT`);
    } finally {
      writing = false;
      s2.process?.kill('SIGCONT');
      await writer;
    }
    await shot('03-s2-recovered');
    await expectNoSecretsShown();
  });

  it('issues an activation token from the UI (shown once) that activates a fourth server over REST', async () => {
    await page.getByRole('button', { name: 'Issue secondary token…' }).click();
    const dialog = page.locator('dialog[open]');
    await dialog.getByLabel('Secondary id').fill('s3');
    await dialog.getByRole('button', { name: 'Issue token' }).click();
    const tokenField = dialog.locator('#activation-token');
    await tokenField.waitFor({ timeout: 10_000 });
    const token = await tokenField.inputValue();
    expect(token).to.have.length.above(10);
    await shot('04-token-issued');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.locator('dialog').waitFor({ state: 'detached', timeout: 5_000 });
    expect(await page.content()).not.to.include(token);

    const s3 = await startDevServer({ rootTokenId: root });
    servers.push(s3);
    const res = await s3.request('POST', 'sys/replication/secondary/enable', { body: { token } });
    expect(res.status, res.text).to.be.oneOf([200, 204]);
    await streaming(s3);
    await page.locator('#links tr[data-secondary="s3"][data-state="stream-wals"]').waitFor({ timeout: 30_000 });
    await shot('05-s3-streaming');
  });

  it('revokes a secondary from the UI after confirmation, and the page shows it gone', async () => {
    await page.locator('button[data-revoke="s3"]').click();
    const dialog = page.locator('dialog[open]');
    await dialog.getByRole('heading', { name: 'Revoke secondary s3' }).waitFor();
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await row('s3').waitFor({ state: 'detached', timeout: 15_000 });
    await page.locator('#topology g.edge[data-secondary="s3"]').waitFor({ state: 'detached', timeout: 5_000 });
    expect((await status(primary)).known_secondaries).to.deep.equal(['s1', 's2']);
    await shot('06-s3-revoked');
    await expectNoSecretsShown();
  });

  it('on a cluster without replication: signs in with userpass; activation warns of the wipe and lists what would be lost; cancel changes nothing; enable primary and demote from the page', async () => {
    const fresh = await startDevServer({ rootTokenId: root });
    servers.push(fresh);
    const admin = 'path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }';
    for (const [method, path, body] of [
      ['POST', 'sys/policies/acl/dash-admin', { policy: admin }],
      ['POST', 'sys/auth/userpass', { type: 'userpass' }],
      ['POST', 'auth/userpass/users/operator', { password: 'op-pass-7c2e', policies: 'dash-admin' }],
      ['POST', 'sys/mounts/team-kv', { type: 'kv' }],
    ] as const) {
      expect((await fresh.request(method, path, { body })).status, path).to.be.oneOf([200, 204]);
    }
    const other = await context.newPage();
    await other.goto(`${fresh.addr}/ui/`);
    await other.getByLabel('Method').selectOption('userpass');
    await other.getByLabel('Username').fill('operator');
    await other.getByLabel('Password').fill('op-pass-7c2e');
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.locator('#roles').filter({ hasText: 'replication disabled' }).waitFor({ timeout: 15_000 });
    await other.getByRole('button', { name: 'Activate as secondary…' }).click();
    const dialog = other.locator('dialog[open]');
    await dialog.getByText('WIPES ALL DATA').waitFor();
    for (const item of ['secrets engine team-kv/', 'auth method userpass/', 'policy dash-admin']) await dialog.getByText(item).waitFor({ timeout: 10_000 });
    await other.screenshot({ path: join(OUTPUT_DIR, '08-activation-wipe-warning.png'), fullPage: true });
    await other.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: 5_000 });
    expect((await status(fresh)).mode).to.equal('disabled');
    expect((await fresh.request('GET', 'sys/mounts')).body.data).to.have.property('team-kv/');
    expect(await other.content()).not.to.include('op-pass-7c2e');

    // Enable as primary, then demote, each through its dialog.
    await other.getByRole('button', { name: 'Enable as primary…' }).click();
    await other.locator('dialog[open]').getByRole('button', { name: 'Enable primary' }).click();
    await other.locator('#roles').filter({ hasText: 'performance primary' }).waitFor({ timeout: 15_000 });
    expect((await status(fresh)).mode).to.equal('primary');
    await other.getByRole('button', { name: 'Demote…' }).click();
    await other.locator('dialog[open]').getByText('Never two primaries').waitFor();
    await other.locator('dialog[open]').getByRole('button', { name: 'Demote' }).click();
    await other.locator('#roles').filter({ hasText: 'performance secondary (detached: follows no primary)' }).waitFor({ timeout: 15_000 });
    expect((await status(fresh)).mode).to.equal('secondary');
    expect(await other.locator('#topology g.edge').count()).to.equal(0);
    await other.screenshot({ path: join(OUTPUT_DIR, '10-demoted.png'), fullPage: true });
    await other.close();
  });

  it('stays readable on a narrow window', async () => {
    await page.setViewportSize({ width: 400, height: 800 });
    await page.locator('#topology svg[data-layout="tree"]').waitFor({ timeout: 5_000 });
    await page.locator('#links tr[data-secondary="s1"]').waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).to.be.at.most(0);
    await shot('07-narrow');
  });
});
