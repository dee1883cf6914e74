import { confirmDialog, field } from './confirm-dialog.js';
import { h } from './create-element.js';
import { ApiError, type VaultApi } from './vault-api.js';

const FILTER_PATH = 'sys/replication/performance/primary/paths-filter';

/** A secondary's paths filter as Vault reads it; `none` when none is set; `unsupported` on servers without filters. */
export type PathsFilter = { readonly mode: 'allow' | 'deny'; readonly paths: readonly string[] } | 'none' | 'unsupported';

/** Reads a secondary's paths filter (Vault: `GET sys/replication/performance/primary/paths-filter/:id`). */
export async function readPathsFilter(api: VaultApi, secondaryId: string): Promise<PathsFilter> {
  try {
    type Filter = { mode?: string; paths?: string[] };
    const answer = await api.read<{ data?: Filter } & Filter>(`${FILTER_PATH}/${encodeURIComponent(secondaryId)}`);
    const filter = answer?.data ?? answer;
    const mode = filter?.mode;
    return mode === 'allow' || mode === 'deny' ? { mode, paths: filter?.paths ?? [] } : 'none';
  } catch (err) {
    // Vault answers a filter never set with 404 and no error text; an unknown path names itself.
    if (err instanceof ApiError && err.status === 404 && err.messages.length === 0) return 'none';
    return 'unsupported';
  }
}

/** Opens the editor of one secondary's paths filter (allow or deny list of mount paths, one a line). */
export function editPathsFilter(api: VaultApi, secondaryId: string, current: Exclude<PathsFilter, 'unsupported'>, onSaved: () => void): void {
  const mode = h(
    'select',
    {},
    h('option', { value: 'deny' }, 'deny: replicate everything except these'),
    h('option', { value: 'allow' }, 'allow: replicate only these'),
  );
  const paths = h('textarea', { rows: 5, spellcheck: 'false' });
  if (current !== 'none') {
    mode.value = current.mode;
    paths.value = current.paths.join('\n');
  }
  confirmDialog({
    title: `Paths filter of ${secondaryId}`,
    body: [
      h('p', {}, 'Mounts (and namespaces) the secondary receives. Data filtered out is removed from the secondary; it stays on the primary.'),
      field('Mode', mode),
      field('Paths, one a line (e.g. secret/)', paths),
    ],
    confirmLabel: 'Save filter',
    isDangerous: true,
    onConfirm: async () => {
      const list = paths.value
        .split('\n')
        .map((p) => p.trim())
        .filter((p) => p !== '');
      const target = `${FILTER_PATH}/${encodeURIComponent(secondaryId)}`;
      if (list.length === 0) await api.request('DELETE', target);
      else await api.write(target, { mode: mode.value, paths: list });
      onSaved();
      return undefined;
    },
  });
}
