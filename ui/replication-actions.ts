import { confirmDialog, field } from './confirm-dialog.js';
import { h } from './create-element.js';
import type { ClusterReplicationStatus } from './replication-status.js';
import { ApiError, type VaultApi } from './vault-api.js';

const BASE = 'sys/replication/performance';
const PATHS = {
  enablePrimary: `${BASE}/primary/enable`,
  secondaryToken: `${BASE}/primary/secondary-token`,
  revoke: `${BASE}/primary/revoke-secondary`,
  demote: `${BASE}/primary/demote`,
  promote: `${BASE}/secondary/promote`,
  enableSecondary: `${BASE}/secondary/enable`,
  pathsFilter: `${BASE}/primary/paths-filter`,
} as const;

/** Which of the replication paths the session token may write (`sys/capabilities-self`). */
export async function writablePaths(api: VaultApi): Promise<ReadonlySet<string>> {
  const paths = Object.values(PATHS).map((p) => (p === PATHS.pathsFilter ? `${p}/x` : p));
  try {
    const caps = (await api.write<Record<string, unknown>>('sys/capabilities-self', { paths })) ?? {};
    const data = (caps['data'] as Record<string, unknown> | undefined) ?? caps;
    return new Set(
      paths.filter((p) => {
        const list = data[p];
        return Array.isArray(list) && list.some((c) => c === 'root' || c === 'update' || c === 'create' || c === 'sudo');
      }),
    );
  } catch {
    // A server without capabilities-self: offer everything; the server still decides.
    return new Set(paths);
  }
}

function para(text: string): HTMLElement {
  return h('p', {}, text);
}

/** What activation would wipe here, listed as the provider's plan does (read with the session token). */
async function dataActivationWouldWipe(api: VaultApi): Promise<string[]> {
  const found: string[] = [];
  const keysOf = (answer: Record<string, unknown> | undefined): string[] => {
    const table = (answer?.['data'] as Record<string, unknown> | undefined) ?? answer ?? {};
    return Object.keys(table).filter((k) => k.endsWith('/'));
  };
  const fresh = new Set(['secret/', 'cubbyhole/', 'identity/', 'sys/', 'token/']);
  for (const m of keysOf(await api.read('sys/mounts'))) if (!fresh.has(m)) found.push(`secrets engine ${m}`);
  for (const m of keysOf(await api.read('sys/auth'))) if (!fresh.has(m)) found.push(`auth method ${m}`);
  const policies = (await api.request<{ data?: { keys?: string[] } }>('LIST', 'sys/policies/acl'))?.data?.keys ?? [];
  for (const p of policies) if (!['default', 'root', 'response-wrapping'].includes(p)) found.push(`policy ${p}`);
  return found;
}

export interface ActionContext {
  readonly api: VaultApi;
  readonly status: ClusterReplicationStatus;
  readonly writable: ReadonlySet<string>;
  readonly refresh: () => void;
}

function actionButton(label: string, path: string, ctx: ActionContext, onClick: () => void, isDangerous = false): HTMLButtonElement {
  const allowed = ctx.writable.has(path);
  const button = h('button', { type: 'button', class: isDangerous ? 'danger' : 'primary', disabled: !allowed }, label);
  if (!allowed) button.title = 'The signed-in token may not do this';
  button.addEventListener('click', onClick);
  return button;
}

function enablePrimary(ctx: ActionContext): void {
  confirmDialog({
    title: 'Enable performance replication primary',
    body: [para('This cluster becomes the primary of a new replication set: it opens its cluster port, and secondaries activated with its tokens follow it.')],
    confirmLabel: 'Enable primary',
    onConfirm: async () => {
      await ctx.api.write(PATHS.enablePrimary, {});
      ctx.refresh();
      return undefined;
    },
  });
}

function issueToken(ctx: ActionContext): void {
  const id = h('input', { type: 'text', required: true, autocomplete: 'off', pattern: '[A-Za-z0-9_.-]+' });
  const ttl = h('input', { type: 'text', value: '30m', autocomplete: 'off' });
  confirmDialog({
    title: 'Issue a secondary activation token',
    body: [
      para('The token activates one secondary under this id. It is shown once, here, and never again; it expires after the TTL.'),
      field('Secondary id', id),
      field('TTL', ttl),
    ],
    confirmLabel: 'Issue token',
    onConfirm: async () => {
      if (!/^[A-Za-z0-9_.-]+$/.test(id.value)) throw new Error('Enter a secondary id (letters, digits, . _ -).');
      const answer = await ctx.api.write<{ wrap_info?: { token?: string } }>(PATHS.secondaryToken, { id: id.value, ttl: ttl.value || '30m' });
      const token = answer?.wrap_info?.token ?? '';
      const out = h('input', { type: 'text', readonly: true, value: token, id: 'activation-token', class: 'one-time', 'aria-label': 'Activation token' });
      const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy');
      const copied = h('span', { role: 'status' });
      copy.addEventListener('click', () => {
        out.select();
        void navigator.clipboard?.writeText(token).then(
          () => (copied.textContent = 'Copied.'),
          () => (copied.textContent = 'Select the text and copy it.'),
        );
      });
      ctx.refresh();
      return h('div', {}, h('p', {}, `Activation token for ${id.value} (shown once):`), out, copy, copied);
    },
  });
}

function revoke(ctx: ActionContext, secondaryId: string): void {
  confirmDialog({
    title: `Revoke secondary ${secondaryId}`,
    body: [
      para(
        `${secondaryId} is cut off at once: its stream stops and its certificate is refused. Its data stays where it is, but it no longer receives anything.`,
      ),
      para('Bringing it back takes a new activation token (update-primary keeps its data; enable wipes it).'),
    ],
    confirmLabel: 'Revoke',
    isDangerous: true,
    onConfirm: async () => {
      await ctx.api.write(PATHS.revoke, { id: secondaryId });
      ctx.refresh();
      return undefined;
    },
  });
}

function demote(ctx: ActionContext): void {
  confirmDialog({
    title: 'Demote this primary',
    body: [
      para('This cluster stops acting as primary: it refuses writes to replicated data and stops streaming. Its cluster id, epoch and data stay.'),
      para(
        'Never two primaries: demote first, then promote one secondary. A secondary refuses promotion while it is still connected to a live primary; once promoted under a newer epoch, any old primary that hears of it steps down at once.',
      ),
    ],
    confirmLabel: 'Demote',
    isDangerous: true,
    onConfirm: async () => {
      await ctx.api.write(PATHS.demote, {});
      ctx.refresh();
      return undefined;
    },
  });
}

function promote(ctx: ActionContext): void {
  const force = h('input', { type: 'checkbox' });
  const connected = ctx.status.connection_state === 'ready';
  confirmDialog({
    title: 'Promote this secondary',
    body: [
      para('This cluster becomes the primary of its replication set under a new epoch, and accepts writes.'),
      para(
        connected
          ? 'Never two primaries: this secondary is still connected to a live primary, so promotion is refused unless forced. Demote the primary first.'
          : 'Never two primaries: the old primary is told of the new epoch (now, and again until it answers) and steps down.',
      ),
      para('Force promotes even while the primary is reachable: writes not yet replicated here may be lost, and the old primary is fenced.'),
      h('div', { class: 'field inline' }, force, h('label', {}, 'Force')),
    ],
    confirmLabel: 'Promote',
    isDangerous: true,
    onConfirm: async () => {
      await ctx.api.write(PATHS.promote, { force: force.checked });
      ctx.refresh();
      return undefined;
    },
  });
  force.id = 'promote-force';
  force.parentElement?.querySelector('label')?.setAttribute('for', 'promote-force');
}

function activateSecondary(ctx: ActionContext): void {
  const token = h('input', { type: 'password', autocomplete: 'off', spellcheck: 'false' });
  const primaryApi = h('input', { type: 'url', autocomplete: 'off', placeholder: 'from the token' });
  const lost = h('ul', { class: 'wipe-list' }, h('li', {}, 'checking what this cluster holds…'));
  void dataActivationWouldWipe(ctx.api).then(
    (items) => lost.replaceChildren(...(items.length === 0 ? [h('li', {}, 'nothing beyond a fresh cluster’s defaults')] : items.map((i) => h('li', {}, i)))),
    (err: unknown) => lost.replaceChildren(h('li', {}, `could not list this cluster’s data (${err instanceof ApiError ? err.message : 'error'})`)),
  );
  confirmDialog({
    title: 'Activate this cluster as a secondary',
    body: [
      h(
        'p',
        { class: 'warning' },
        'Activation WIPES ALL DATA on this cluster: secrets, mounts, auth methods, policies and tokens are deleted and replaced by what the primary replicates. Your session token stops working.',
      ),
      h('p', {}, 'This cluster holds, and will lose:'),
      lost,
      field('Activation token', token),
      field('Primary API address (optional)', primaryApi),
    ],
    confirmLabel: 'Wipe and activate',
    isDangerous: true,
    onConfirm: async () => {
      const body: Record<string, string> = { token: token.value.trim() };
      if (primaryApi.value.trim() !== '') body['primary_api_addr'] = primaryApi.value.trim();
      token.value = '';
      await ctx.api.write(PATHS.enableSecondary, body);
      ctx.refresh();
      return undefined;
    },
  });
}

/** The actions this cluster's mode allows, as buttons that open their confirmation dialogs. */
export function replicationActions(ctx: ActionContext): HTMLElement {
  const buttons: HTMLElement[] = [];
  const mode = ctx.status.mode;
  if (mode === 'disabled') {
    buttons.push(actionButton('Enable as primary…', PATHS.enablePrimary, ctx, () => enablePrimary(ctx)));
    buttons.push(actionButton('Activate as secondary…', PATHS.enableSecondary, ctx, () => activateSecondary(ctx), true));
  } else if (mode === 'primary') {
    buttons.push(actionButton('Issue secondary token…', PATHS.secondaryToken, ctx, () => issueToken(ctx)));
    for (const id of ctx.status.known_secondaries ?? []) {
      const b = actionButton(`Revoke ${id}…`, PATHS.revoke, ctx, () => revoke(ctx, id), true);
      b.dataset['revoke'] = id;
      buttons.push(b);
    }
    buttons.push(actionButton('Demote…', PATHS.demote, ctx, () => demote(ctx), true));
  } else if (mode === 'secondary') {
    buttons.push(actionButton('Promote…', PATHS.promote, ctx, () => promote(ctx), true));
  }
  return h('div', { class: 'actions' }, ...buttons);
}
