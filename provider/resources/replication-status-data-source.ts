import type { FerryClient } from '../client/ferry-client.js';
import type { Schema } from '../framework/schema.js';
import { listOf, numberType, stringType } from '../framework/value-type.js';
import { objectFromEntries, type ObjectValue } from '../framework/values.js';
import { toStringList } from './attribute-values.js';
import type { FerryDataSource } from './ferry-client-binding.js';

const computedString = (description: string) => ({ type: stringType, computed: true as const, description });

const schema: Schema = {
  version: 0,
  block: {
    description: "The replication status (unauthenticated sys/replication/status) of the target cluster: the provider's, or the one in the cluster block.",
    attributes: {
      mode: computedString('`disabled`, `primary` or `secondary`.'),
      state: computedString('Replication state, for example `stream-wals` on a healthy secondary.'),
      cluster_id: computedString('The replication cluster ID.'),
      known_secondaries: { type: listOf(stringType), computed: true, description: 'Secondary IDs the primary knows.' },
      last_wal: { type: numberType, computed: true, description: 'Last WAL index written (primary).' },
      last_remote_wal: { type: numberType, computed: true, description: 'Last WAL index applied from the primary (secondary).' },
      merkle_root: computedString('Merkle root of the replicated data.'),
      primary_cluster_addr: computedString("The primary's cluster address."),
    },
  },
};

/** `ferry_replication_status` data source. */
export class ReplicationStatusDataSource implements FerryDataSource {
  readonly operations = { read: { summary: 'Cannot read replication status' } };

  metadata() {
    return { typeName: 'ferry_replication_status' };
  }

  schema(): Schema {
    return schema;
  }

  async read(_request: { config: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    const s = await client.replicationStatus();
    return objectFromEntries([
      ['mode', s.mode],
      ['state', s.state ?? ''],
      ['cluster_id', s.cluster_id ?? ''],
      ['known_secondaries', toStringList(s.known_secondaries)],
      ['last_wal', typeof s.last_wal === 'number' ? s.last_wal : 0],
      ['last_remote_wal', typeof s.last_remote_wal === 'number' ? s.last_remote_wal : 0],
      ['merkle_root', s.merkle_root ?? ''],
      ['primary_cluster_addr', s.primary_cluster_addr ?? ''],
    ]);
  }
}
