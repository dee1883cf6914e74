import type { StorageOp } from './backend.js';
import type { GroupSession } from './group-commit-queue.js';

/** Rows per multi-row upsert (two bound parameters each, well under SQLite's limit). */
export const BULK_ROWS = 200;

/** One statement of a group's ops: a multi-row upsert of consecutive puts, or one delete. */
export type OpStatement =
  | { readonly kind: 'upsert'; readonly rows: readonly Extract<StorageOp, { op: 'put' }>[] }
  | { readonly kind: 'delete'; readonly op: Exclude<StorageOp, { op: 'put' }> };

/** The statements `ops` run as, in order: consecutive puts share upserts of up to BULK_ROWS rows, each delete is its own. */
export function opStatements(ops: readonly StorageOp[]): OpStatement[] {
  const statements: OpStatement[] = [];
  for (let i = 0; i < ops.length;) {
    const op = ops[i] as StorageOp;
    if (op.op !== 'put') {
      statements.push({ kind: 'delete', op });
      i++;
      continue;
    }
    let end = i;
    while (end < ops.length && end - i < BULK_ROWS && (ops[end] as StorageOp).op === 'put') end++;
    statements.push({ kind: 'upsert', rows: ops.slice(i, end) as Extract<StorageOp, { op: 'put' }>[] });
    i = end;
  }
  return statements;
}

/** What a group needs of the writer connection. */
export interface SqliteWriter {
  exec(sql: string): Promise<void>;
  /** Runs the ops as statements, in order: runs of up to BULK_ROWS puts as one upsert, each delete as one. */
  apply(ops: readonly StorageOp[]): Promise<void>;
}

/**
 * One commit group on the SQLite writer connection. The transaction opens lazily: a group whose
 * only step is one statement runs it as SQLite's implicit (autocommit) transaction, atomic by
 * itself, which saves the BEGIN and COMMIT round trips to the thread pool. Anything more (a second
 * statement, savepoints) runs in `BEGIN IMMEDIATE` … `COMMIT`.
 */
export class SqliteGroup {
  private state: 'idle' | 'transaction' | 'autocommitted' = 'idle';

  readonly session: GroupSession = {
    apply: (ops) => this.apply(ops),
    savepoint: async () => {
      await this.begin();
      await this.writer.exec('SAVEPOINT write');
    },
    releaseSavepoint: () => this.writer.exec('RELEASE write'),
    rollbackToSavepoint: () => this.writer.exec('ROLLBACK TO write; RELEASE write'),
  };

  constructor(private readonly writer: SqliteWriter) {}

  /** Runs `body` and commits what it applied; on failure rolls back and rejects. */
  async run(body: (session: GroupSession) => Promise<void>): Promise<void> {
    try {
      await body(this.session);
      if (this.state === 'transaction') await this.writer.exec('COMMIT');
    } catch (err) {
      if (this.state === 'transaction') await this.writer.exec('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private async apply(ops: readonly StorageOp[]): Promise<void> {
    if (this.state === 'idle' && isOneStatement(ops)) {
      // Atomic on its own: SQLite rolls a failing statement back by itself.
      this.state = 'autocommitted';
      await this.writer.apply(ops);
      return;
    }
    await this.begin();
    await this.writer.apply(ops);
  }

  private async begin(): Promise<void> {
    if (this.state === 'transaction') return;
    if (this.state === 'autocommitted') throw new Error('a group that committed as one statement cannot take another');
    this.state = 'transaction';
    await this.writer.exec('BEGIN IMMEDIATE');
  }
}

/** Whether `apply` runs these ops as exactly one statement. */
function isOneStatement(ops: readonly StorageOp[]): boolean {
  return opStatements(ops).length === 1;
}
