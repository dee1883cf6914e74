import { createHash } from 'node:crypto';
import type { QueryConfig } from 'pg';
import { prefixUpperBound, type StorageOp } from './backend.js';

/** The statements a PostgreSQL backend runs, their text built once for its table. */
export type Sql = Readonly<
  Record<'get' | 'list' | 'scanFrom' | 'scanAfter' | 'scanKeysFrom' | 'scanKeysAfter' | 'upsert' | 'deleteKeys' | 'deletePrefix', string>
>;

interface Statement {
  readonly text: string;
  readonly values: unknown[];
}

/**
 * The ops as few statements as keeps their order: a run of puts becomes one upsert (the last value
 * of a key repeated in the run wins, as it would one at a time), a run of deletes one DELETE.
 */
export function planStatements(ops: readonly StorageOp[], sql: Sql): Statement[] {
  const out: Statement[] = [];
  for (let i = 0; i < ops.length;) {
    const op = ops[i] as StorageOp;
    if (op.op === 'delete-prefix') {
      out.push({ text: sql.deletePrefix, values: [op.prefix, prefixUpperBound(op.prefix)] });
      i++;
      continue;
    }
    let end = i;
    while (end < ops.length && (ops[end] as StorageOp).op === op.op) end++;
    const run = ops.slice(i, end);
    if (op.op === 'put') {
      const values = new Map<string, Buffer>();
      for (const put of run as Extract<StorageOp, { op: 'put' }>[]) {
        values.delete(put.key);
        values.set(put.key, put.value);
      }
      out.push({ text: sql.upsert, values: [[...values.keys()], [...values.values()]] });
    } else {
      out.push({ text: sql.deleteKeys, values: [(run as Extract<StorageOp, { op: 'delete' }>[]).map((d) => d.key)] });
    }
    i = end;
  }
  return out;
}

const statementNames = new Map<string, string>();

/** A named (server-side prepared) statement: parsed once per connection. */
export function prepared(text: string, values: unknown[]): QueryConfig {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `ferry_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}
