import type { AttributePath, Diagnostics } from './diagnostics.js';
import type { DataSource, ModifyPlanRequest, Resource } from './resource.js';
import type { Schema } from './schema.js';
import type { ObjectValue } from './values.js';

/** How an operation is named in its diagnostics, and the attribute its failures point at. */
export interface OperationLabel {
  summary: string;
  path?: AttributePath;
}

/**
 * A failure reported under a summary (and path) of its own instead of the operation's: for a step that does
 * something other than what the operation is named for (reading back after a write, waiting for a mode).
 */
export class StepFailure extends Error {
  constructor(
    readonly summary: string,
    readonly failure: unknown,
    readonly path?: AttributePath,
  ) {
    super(`${summary}: ${failure instanceof Error ? failure.message : String(failure)}`);
    this.name = 'StepFailure';
  }
}

/** Runs one step of an operation; whatever it throws is reported under `summary` (and `path`). */
export async function step<T>(summary: string, work: () => Promise<T>, path?: AttributePath): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw err instanceof StepFailure ? err : new StepFailure(summary, err, path);
  }
}

/** How the provider's configured data yields an API client `C`, and how a failed call becomes diagnostics. */
export interface ClientBinding<P, C> {
  /** The client an operation uses, or why there is none yet (shown to the user). */
  clientFor(provider: P): { client: C } | { unavailableReason: string };
  reportFailure(diagnostics: Diagnostics, summary: string, failure: unknown, path?: AttributePath): void;
}

/**
 * A managed resource written against an API client: each operation receives a ready client and throws when a
 * call fails; the framework reports a missing client and every failure as an error diagnostic labelled with
 * the operation (see `operations`). The resource only maps its model to API calls and back.
 */
export interface ClientResource<C, P> {
  metadata(): { typeName: string };
  schema(): Schema;
  validateConfig?(config: ObjectValue, diagnostics: Diagnostics): void;
  modifyPlan?(request: ModifyPlanRequest<P>, diagnostics: Diagnostics): void;
  /** The summary (and attribute path) of each operation's diagnostics. */
  readonly operations: { create: OperationLabel; read: OperationLabel; update?: OperationLabel; delete: OperationLabel };
  create(request: { plan: ObjectValue; config: ObjectValue }, client: C, diagnostics: Diagnostics): Promise<ObjectValue | null>;
  /** A null result means the object is gone. */
  read(request: { state: ObjectValue }, client: C, diagnostics: Diagnostics): Promise<ObjectValue | null>;
  /** A state a read can answer without the API (for example a write-only object); undefined asks the API. */
  readWithoutClient?(state: ObjectValue): ObjectValue | undefined;
  /** Changes the object in place; needs `operations.update`. */
  update?(request: { plan: ObjectValue; prior: ObjectValue; config: ObjectValue }, client: C, diagnostics: Diagnostics): Promise<ObjectValue | null>;
  /** For resources whose in-place changes only concern the state (every real change replaces): the new state. */
  recordUpdate?(request: { plan: ObjectValue; prior: ObjectValue }): ObjectValue;
  delete(request: { prior: ObjectValue }, client: C, diagnostics: Diagnostics): Promise<void>;
  /** Turns an import ID into a state for the read that follows; needs no API call. */
  importState(id: string, diagnostics: Diagnostics): Promise<ObjectValue | null>;
}

/** A data source written against an API client; see ClientResource. */
export interface ClientDataSource<C> {
  metadata(): { typeName: string };
  schema(): Schema;
  validateConfig?(config: ObjectValue, diagnostics: Diagnostics): void;
  readonly operations: { read: OperationLabel };
  read(request: { config: ObjectValue }, client: C, diagnostics: Diagnostics): Promise<ObjectValue | null>;
}

/** Runs `work` with a client: no client, or a thrown failure, becomes a diagnostic and yields `fallback`. */
async function withClient<P, C, T>(
  binding: ClientBinding<P, C>,
  provider: P,
  label: OperationLabel,
  diagnostics: Diagnostics,
  fallback: T,
  work: (client: C) => Promise<T>,
): Promise<T> {
  const found = binding.clientFor(provider);
  if (!('client' in found)) {
    diagnostics.error(label.summary, found.unavailableReason);
    return fallback;
  }
  try {
    return await work(found.client);
  } catch (err) {
    if (err instanceof StepFailure) binding.reportFailure(diagnostics, err.summary, err.failure, err.path);
    else binding.reportFailure(diagnostics, label.summary, err, label.path);
    return fallback;
  }
}

/** Serves a ClientResource as a framework Resource. */
export function clientResource<P, C>(inner: ClientResource<C, P>, binding: ClientBinding<P, C>): Resource<P> {
  const { operations } = inner;
  if (inner.recordUpdate === undefined && (inner.update === undefined || operations.update === undefined)) {
    throw new Error(`${inner.metadata().typeName} needs recordUpdate, or update with operations.update`);
  }
  return {
    metadata: () => inner.metadata(),
    schema: () => inner.schema(),
    ...(inner.validateConfig === undefined ? {} : { validateConfig: (config, diagnostics) => inner.validateConfig?.(config, diagnostics) }),
    ...(inner.modifyPlan === undefined ? {} : { modifyPlan: (request, diagnostics) => inner.modifyPlan?.(request, diagnostics) }),
    create: async (request, provider, diagnostics) =>
      await withClient(binding, provider, operations.create, diagnostics, null, (client) => inner.create(request, client, diagnostics)),
    read: async (request, provider, diagnostics) => {
      const offline = inner.readWithoutClient?.(request.state);
      if (offline !== undefined) return offline;
      return await withClient(binding, provider, operations.read, diagnostics, null, (client) => inner.read(request, client, diagnostics));
    },
    update: async (request, provider, diagnostics) => {
      if (inner.recordUpdate !== undefined) return inner.recordUpdate(request);
      const update = inner.update;
      if (update === undefined || operations.update === undefined) throw new Error(`${inner.metadata().typeName} cannot be updated in place`);
      return await withClient(binding, provider, operations.update, diagnostics, null, (client) => update.call(inner, request, client, diagnostics));
    },
    delete: async (request, provider, diagnostics) =>
      await withClient(binding, provider, operations.delete, diagnostics, undefined, (client) => inner.delete(request, client, diagnostics)),
    importState: async (id, _provider, diagnostics) => await inner.importState(id, diagnostics),
  };
}

/** Serves a ClientDataSource as a framework DataSource. */
export function clientDataSource<P, C>(inner: ClientDataSource<C>, binding: ClientBinding<P, C>): DataSource<P> {
  return {
    metadata: () => inner.metadata(),
    schema: () => inner.schema(),
    ...(inner.validateConfig === undefined ? {} : { validateConfig: (config, diagnostics) => inner.validateConfig?.(config, diagnostics) }),
    read: async (request, provider, diagnostics) =>
      await withClient(binding, provider, inner.operations.read, diagnostics, null, (client) => inner.read(request, client, diagnostics)),
  };
}
