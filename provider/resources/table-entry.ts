import { ApiError } from '../../server/api-client/api-error.js';
import { trimSlashes, type FerryClient } from '../client/ferry-client.js';
import { attributePath, type Diagnostics } from '../framework/diagnostics.js';
import { step, StepFailure } from '../framework/client-resource.js';
import { ignoringNotFound, serverMessages } from './api-diagnostics.js';

/**
 * Entries of the server's mount-like tables — secrets engines (`sys/mounts`), auth methods
 * (`sys/auth`) and audit devices (`sys/audit`) — share one life cycle: enable at a path (local or
 * replicated), find in the table's listing, disable. The resources differ only in their fields.
 */
export interface TableKind {
  /** `sys/mounts`, `sys/auth` or `sys/audit`. */
  readonly table: string;
  /** What one entry is called in diagnostics: "mount", "auth method", "audit device". */
  readonly noun: string;
}

/** Finds an entry in a `sys/mounts`-style listing (keys end in `/`; Vault also nests them under `data`). */
export async function findMountEntry<T>(client: FerryClient, listPath: string, path: string): Promise<T | null> {
  const res = await client.read<Record<string, unknown>>(listPath);
  if (res === null) return null;
  const key = `${trimSlashes(path)}/`;
  const data = res['data'];
  const table = data !== null && typeof data === 'object' && key in data ? (data as Record<string, unknown>) : res;
  const entry = table[key];
  return entry !== null && typeof entry === 'object' ? (entry as T) : null;
}

/**
 * Enables an entry. A replication secondary refuses replicated entries; that becomes a diagnostic on
 * `local` that says why and what to do (returns false). Other failures throw, reported as "Cannot create".
 */
export async function enableTableEntry(
  client: FerryClient,
  kind: TableKind,
  path: string,
  body: Record<string, unknown>,
  diagnostics: Diagnostics,
): Promise<boolean> {
  const at = trimSlashes(path);
  try {
    // Enabling twice fails ("path is already in use"): after a failover hid the answer, look first.
    const isAlreadyApplied = async (): Promise<boolean> => {
      const entry = await findMountEntry<{ type?: unknown }>(client, kind.table, at);
      return entry !== null && entry.type === body['type'];
    };
    await client.write(`${kind.table}/${at}`, body, { isAlreadyApplied });
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.mentions('non-local') && err.mentions('secondary')) {
      diagnostics.error(
        `Replicated ${kind.noun} on a replication secondary`,
        `Ferry at ${client.address} is a replication secondary, and it refused to create the replicated ${kind.noun} "${at}/": ` +
          `${serverMessages(err).join('; ')}. A secondary receives its replicated ${kind.noun}s from the primary, so one created ` +
          "on a secondary must be local: set local = true, or create it with the primary's provider.",
        attributePath('local'),
      );
      return false;
    }
    throw new StepFailure(`Cannot create ${kind.noun}`, err, attributePath('path'));
  }
}

/** Disables an entry; one that is already gone is not an error. */
export async function disableTableEntry(client: FerryClient, kind: TableKind, path: string): Promise<void> {
  await step(`Cannot remove ${kind.noun}`, () => ignoringNotFound(() => client.delete(`${kind.table}/${trimSlashes(path)}`)));
}
