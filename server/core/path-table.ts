import { FieldData, type FieldSchemas } from './field-data.js';
import type { LogicalBackend } from './logical-backend.js';
import type { LogicalRequest, LogicalResponse, Operation } from './logical.js';
import { VaultError } from './vault-error.js';

export interface PathContext {
  readonly req: LogicalRequest;
  readonly fields: FieldData;
  /** Named captures of the path pattern. */
  readonly captures: Readonly<Record<string, string>>;
  readonly relativePath: string;
}

export type PathHandler = (ctx: PathContext) => Promise<LogicalResponse | undefined>;

export interface PathDefinition {
  /** Regular expression source, anchored for you; named groups become fields. */
  readonly pattern: string;
  readonly fields?: FieldSchemas;
  readonly operations: Partial<Record<Operation, PathHandler>>;
  readonly exists?: (ctx: PathContext) => Promise<boolean>;
}

interface CompiledPath {
  readonly regex: RegExp;
  readonly def: PathDefinition;
}

/**
 * A backend as a table of paths, each with typed fields and per-operation handlers
 * (Vault's `sdk/framework` in miniature). Unknown body fields are ignored with a warning,
 * as Vault does; a field of the wrong type is a 400 before the handler runs.
 */
export class PathTable implements LogicalBackend {
  private readonly compiled: CompiledPath[];

  constructor(
    paths: readonly PathDefinition[],
    readonly unauthenticatedPaths: readonly string[] = [],
    readonly sudoPaths: readonly string[] = [],
  ) {
    this.compiled = paths.map((def) => ({ regex: new RegExp(`^(?:${def.pattern})$`), def }));
  }

  async handleRequest(req: LogicalRequest, relativePath: string): Promise<LogicalResponse | undefined> {
    const { def, ctx } = this.resolve(req, relativePath);
    const handler = pickHandler(def, req.operation);
    if (handler === undefined) throw new VaultError('unsupported_operation', 'unsupported operation');
    ctx.fields.validate();
    const response = await handler(ctx);
    const unknown = ctx.fields.unknownFields();
    if (unknown.length > 0 && req.operation !== 'read' && req.operation !== 'list' && req.operation !== 'delete') {
      const out = response ?? {};
      out.warnings = [...(out.warnings ?? []), `Endpoint ignored these unrecognized parameters: [${unknown.join(' ')}]`];
      return out;
    }
    return response;
  }

  async existenceCheck(req: LogicalRequest, relativePath: string): Promise<boolean | undefined> {
    const { def, ctx } = this.resolve(req, relativePath);
    if (def.exists === undefined) return undefined;
    return def.exists(ctx);
  }

  private resolve(req: LogicalRequest, relativePath: string): { def: PathDefinition; ctx: PathContext } {
    for (const { regex, def } of this.compiled) {
      const match = regex.exec(relativePath);
      if (match === null) continue;
      const captures: Record<string, string> = {};
      for (const [name, value] of Object.entries(match.groups ?? {})) if (value !== undefined) captures[name] = value;
      const schemas = { ...(def.fields ?? {}) };
      for (const name of Object.keys(captures)) if (!(name in schemas)) schemas[name] = { type: 'string' };
      // Path captures win over body fields of the same name, as in Vault.
      const raw = { ...req.data, ...captures };
      return { def, ctx: { req, fields: new FieldData(schemas, raw), captures, relativePath } };
    }
    throw new VaultError('not_found', `unsupported path`);
  }
}

function pickHandler(def: PathDefinition, operation: Operation): PathHandler | undefined {
  const ops = def.operations;
  if (operation === 'create') return ops.create ?? ops.update;
  if (operation === 'update') return ops.update ?? ops.create;
  return ops[operation];
}
