import type { Core } from './core.js';
import type { Entity } from './identity-model.js';
import type { MountEntry } from './mount-table.js';

/**
 * The entity a login through `mount` as `aliasName` belongs to, created with its alias on the
 * first login (as Vault's logins do). Identity is replicated state: on a performance secondary
 * the first login of a name has the primary create the entity (Vault forwards this too) and
 * waits until it has replicated back, so the token carries its `entity_id`. If the primary
 * cannot be reached in time, or the mount is local to this cluster (the primary does not know
 * it), the token is issued without an entity and a warning is logged.
 */
export async function entityForLogin(core: Core, mount: MountEntry, aliasName: string, metadata: Record<string, string>): Promise<Entity | undefined> {
  const local = await core.identity.entityForLogin(mount.accessor, aliasName, metadata);
  if (local !== undefined || core.replication.mode() !== 'secondary') return local;
  const log = { mount_accessor: mount.accessor, mount_type: mount.type };
  if (mount.local || core.replication.createLoginEntity === undefined) {
    core.logger.warn(log, 'login on a secondary without an entity: the mount is local to this cluster');
    return undefined;
  }
  const id = await core.replication.createLoginEntity({ mountAccessor: mount.accessor, aliasName, metadata }).catch((err: unknown) => {
    core.logger.warn({ ...log, err: err instanceof Error ? err.message : String(err) }, 'creating a login entity on the primary failed');
    return undefined;
  });
  const entity = id === undefined ? undefined : await core.identity.get<Entity>('entity', id);
  if (entity === undefined) core.logger.warn(log, 'login on a secondary without an entity: the primary did not provide one in time');
  return entity;
}
