import { h } from './create-element.js';
import { lagChart } from './lag-chart.js';
import { LagHistory } from './lag-history.js';
import { formatAge, linkLabel } from './link-label.js';
import { editPathsFilter, readPathsFilter, type PathsFilter } from './paths-filter-editor.js';
import { replicationActions, writablePaths } from './replication-actions.js';
import { performanceStatusOf, type HaStatusResponse, type ReplicationStatusResponse } from './replication-status.js';
import { sessionToken } from './session-token.js';
import { buildTopology, peerAddressesOf, type PeerStatus, type Topology } from './topology-model.js';
import { topologySvg } from './topology-svg.js';
import { ApiError, readPeerStatus, VaultApi } from './vault-api.js';

/** How often the page reads the status again. */
const REFRESH_MS = 2_000;
const PEER_TIMEOUT_MS = 1_500;
/** Below this width the graph is drawn as an indented tree instead of columns. */
const NARROW = '(max-width: 700px)';

function section(title: string, id: string, ...children: Node[]): HTMLElement {
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

/**
 * The dashboard: reads this cluster's replication (and HA) status, its peers' status and the
 * session token's capabilities every few seconds, and redraws the topology, the lag table and
 * charts, the Merkle roots and the actions. The action buttons are rebuilt only when what they act
 * on changes, so keyboard focus stays put between refreshes.
 */
export function dashboardView(onLoggedOut: () => void): HTMLElement {
  const api = new VaultApi(() => sessionToken.get());
  const history = new LagHistory();
  const roles = h('p', { class: 'roles', id: 'roles' });
  const summary = h('p', { class: 'summary', id: 'summary', 'aria-live': 'polite' });
  const graph = h('div', { class: 'graph', id: 'topology' });
  const linksTable = h('div', { id: 'links' });
  const charts = h('div', { class: 'charts', id: 'lag-charts' });
  const merkle = h('div', { id: 'merkle' });
  const actions = h('div', { id: 'actions' });
  const notes = h('ul', { class: 'notes', id: 'notes' });
  const error = h('p', { class: 'error', role: 'alert' });
  const signOut = h('button', { type: 'button', class: 'secondary' }, 'Sign out');
  let actionsKey = '';
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const filters = new Map<string, PathsFilter>();
  let lastTopology: Topology | undefined;
  const narrow = matchMedia(NARROW);
  const drawGraph = (): void => {
    if (lastTopology !== undefined) graph.replaceChildren(topologySvg(lastTopology, narrow.matches ? 'tree' : 'columns'));
  };
  // Crossing the narrow breakpoint redraws at once, not at the next refresh.
  narrow.addEventListener('change', drawGraph);

  const stop = (): void => {
    stopped = true;
    narrow.removeEventListener('change', drawGraph);
    if (timer !== undefined) clearTimeout(timer);
  };
  signOut.addEventListener('click', () => {
    stop();
    sessionToken.clear();
    onLoggedOut();
  });

  const refreshSoon = (): void => {
    actionsKey = '';
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => void tick(), 50);
  };

  async function readHa(): Promise<HaStatusResponse | undefined> {
    try {
      const answer = await api.read<{ data?: HaStatusResponse } & HaStatusResponse>('sys/ha-status');
      return answer?.data ?? answer;
    } catch {
      return undefined;
    }
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    try {
      const answer = await api.read<{ data?: ReplicationStatusResponse } & ReplicationStatusResponse>('sys/replication/status');
      const status = answer?.data ?? answer ?? { mode: 'disabled' };
      const ha = await readHa();
      const peers = new Map<string, PeerStatus>();
      await Promise.all(
        peerAddressesOf(status).map(async (addr) => peers.set(addr, (await readPeerStatus<ReplicationStatusResponse>(addr, PEER_TIMEOUT_MS)) ?? 'unreachable')),
      );
      const nowMs = Date.now();
      const topology = buildTopology({ status, peers, ha, selfApiAddr: location.origin, nowMs });
      const repl = topology.links.filter((l) => l.kind !== 'ha');
      for (const link of repl) history.record(link.secondaryId || 'primary', { atMs: nowMs, walLag: link.walLag, heartbeatAgeMs: link.heartbeatAgeMs });
      history.keepOnly(repl.map((l) => l.secondaryId || 'primary'));
      await render(status, topology, ha, nowMs);
      error.textContent = '';
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) {
        stop();
        sessionToken.clear();
        onLoggedOut();
        return;
      }
      error.textContent = `Could not read the replication status: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      if (!stopped) timer = setTimeout(() => void tick(), REFRESH_MS);
    }
  }

  async function render(status: ReplicationStatusResponse, topology: Topology, ha: HaStatusResponse | undefined, nowMs: number): Promise<void> {
    const perf = performanceStatusOf(status);
    roles.textContent = `This cluster: ${topology.roles.join(' · ')}`;
    const repl = topology.links.filter((l) => l.kind !== 'ha');
    const behind = repl.filter((l) => l.isBehind);
    summary.textContent =
      repl.length === 0
        ? perf.mode === 'primary'
          ? 'No secondaries yet.'
          : 'No replication links.'
        : behind.length === 0
          ? `${repl.length} link(s), all up to date.`
          : `${behind.length} of ${repl.length} link(s) behind: ${behind.map((l) => l.secondaryId || 'primary').join(', ')}.`;
    lastTopology = topology;
    drawGraph();

    if (perf.mode === 'primary') {
      await Promise.all(
        repl
          .filter((l) => l.kind === 'performance' && !filters.has(l.secondaryId))
          .map(async (l) => filters.set(l.secondaryId, await readPathsFilter(api, l.secondaryId))),
      );
    }
    const rows = repl.map((l) => {
      const label = linkLabel(l);
      return h(
        'tr',
        { 'data-secondary': l.secondaryId, 'data-state': l.state, 'data-behind': String(l.isBehind) },
        h('th', { scope: 'row' }, l.secondaryId || 'primary'),
        h('td', {}, l.kind === 'dr' ? 'DR' : 'performance'),
        h('td', { class: l.isBehind ? 'bad' : 'good' }, label.state),
        h('td', {}, l.walLag === undefined ? '—' : String(l.walLag)),
        h('td', {}, formatAge(l.heartbeatAgeMs)),
        h('td', {}, l.syncProgress === undefined ? '—' : `${l.syncProgress.done}/${l.syncProgress.total} keys`),
        h('td', {}, l.kind === 'performance' ? filterText(filters.get(l.secondaryId)) : '—'),
      );
    });
    linksTable.replaceChildren(
      rows.length === 0
        ? h('p', {}, 'No links to show.')
        : h(
            'table',
            {},
            h('caption', {}, 'Replication links (refreshed every few seconds)'),
            h(
              'thead',
              {},
              h('tr', {}, ...['Secondary', 'Kind', 'State', 'WAL lag', 'Last heartbeat', 'Resync', 'Paths filter'].map((c) => h('th', { scope: 'col' }, c))),
            ),
            h('tbody', {}, ...rows),
          ),
    );
    charts.replaceChildren(
      ...history
        .ids()
        .map((id) => h('figure', {}, lagChart(history, id, nowMs), h('figcaption', {}, `${id}: WAL lag, last ${history.windowMs / 60_000} minutes`))),
    );
    merkle.replaceChildren(
      topology.merkle.length === 0
        ? h('p', {}, 'No Merkle roots to compare.')
        : h(
            'table',
            {},
            h('thead', {}, h('tr', {}, ...['Cluster', 'Merkle root', 'Primary’s root', 'In sync'].map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              ...topology.merkle.map((m) =>
                h(
                  'tr',
                  { 'data-merkle': m.name },
                  h('th', { scope: 'row' }, m.name),
                  h('td', { class: 'mono' }, m.root ?? 'unknown'),
                  h('td', { class: 'mono' }, topology.primaryMerkleRoot ?? 'unknown'),
                  h('td', { class: m.isInSync ? 'good' : 'bad' }, m.isInSync ? '✔ in sync' : '✘ not in sync'),
                ),
              ),
            ),
          ),
    );
    notes.replaceChildren(
      h('li', {}, status.dr === undefined ? 'DR replication: this server does not report it.' : `DR replication: ${status.dr.mode}.`),
      h(
        'li',
        {},
        ha?.nodes === undefined || ha.nodes.length === 0
          ? 'HA: not enabled on this server (or not readable with this token).'
          : `HA: ${ha.nodes.length} node(s).`,
      ),
    );

    const key = JSON.stringify([perf.mode, perf.known_secondaries, perf.connection_state === 'ready', [...filters.entries()].map(([k, v]) => [k, typeof v])]);
    if (key !== actionsKey) {
      actionsKey = key;
      const writable = await writablePaths(api);
      const panel = replicationActions({ api, status: perf, writable, refresh: refreshSoon });
      for (const [id, filter] of filters) {
        if (filter === 'unsupported' || !(perf.known_secondaries ?? []).includes(id)) continue;
        const edit = h('button', { type: 'button', class: 'secondary' }, `Paths filter of ${id}…`);
        edit.addEventListener('click', () =>
          editPathsFilter(api, id, filter, () => {
            filters.delete(id);
            refreshSoon();
          }),
        );
        panel.append(edit);
      }
      actions.replaceChildren(panel);
    }
  }

  void tick();
  return h(
    'main',
    { class: 'dashboard' },
    h('header', {}, h('h1', { tabindex: -1 }, 'Ferry replication'), signOut),
    roles,
    summary,
    error,
    section('Topology', 'topology-heading', graph),
    section('Links', 'links-heading', linksTable),
    section('Lag over time', 'charts-heading', charts),
    section('Merkle roots', 'merkle-heading', merkle),
    section('Actions', 'actions-heading', actions),
    section('Other replication', 'notes-heading', notes),
  );
}

function filterText(filter: PathsFilter | undefined): string {
  if (filter === undefined || filter === 'unsupported') return '—';
  if (filter === 'none') return 'none';
  return `${filter.mode}: ${filter.paths.join(', ')}`;
}
