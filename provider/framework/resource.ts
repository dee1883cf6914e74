import type { AttributePath, Diagnostics } from './diagnostics.js';
import type { Schema } from './schema.js';
import type { ObjectValue } from './values.js';

/**
 * A managed resource type. `P` is whatever the provider's configure step produced (Ferry: a client
 * factory). Operations report problems as diagnostics and return the new state; a null state from read
 * means the object is gone, and Terraform plans to create it again.
 */
export interface Resource<P> {
  metadata(): { typeName: string };
  schema(): Schema;
  /** Checks the configuration beyond types; values may be unknown here. */
  validateConfig?(config: ObjectValue, diagnostics: Diagnostics): void;
  /** Adjusts a plan the framework computed (defaults, plan modifiers) or adds warnings to it. */
  modifyPlan?(request: ModifyPlanRequest<P>, diagnostics: Diagnostics): void;
  create(request: { plan: ObjectValue; config: ObjectValue }, provider: P, diagnostics: Diagnostics): Promise<ObjectValue | null>;
  read(request: { state: ObjectValue }, provider: P, diagnostics: Diagnostics): Promise<ObjectValue | null>;
  update(request: { plan: ObjectValue; prior: ObjectValue; config: ObjectValue }, provider: P, diagnostics: Diagnostics): Promise<ObjectValue | null>;
  delete(request: { prior: ObjectValue }, provider: P, diagnostics: Diagnostics): Promise<void>;
  /** Turns an import ID into a state for the read that follows; attributes left out become null. */
  importState(id: string, provider: P, diagnostics: Diagnostics): Promise<ObjectValue | null>;
}

export interface ModifyPlanRequest<P> {
  /** The configured provider, when Terraform configured it before planning. */
  provider: P | undefined;
  /** null on create. */
  prior: ObjectValue | null;
  /** null on destroy; may be edited in place. */
  planned: ObjectValue | null;
  config: ObjectValue | null;
  /**
   * Paths whose change replaces the resource, beyond what attribute plan modifiers decide (for example a
   * condition that spans a nested block and the provider configuration). Push to it; Terraform compares
   * the prior and planned values at each path and replaces when they differ.
   */
  requiresReplace: AttributePath[];
}

/** A data source: read-only, evaluated during plan when its configuration is known. */
export interface DataSource<P> {
  metadata(): { typeName: string };
  schema(): Schema;
  validateConfig?(config: ObjectValue, diagnostics: Diagnostics): void;
  read(request: { config: ObjectValue }, provider: P, diagnostics: Diagnostics): Promise<ObjectValue | null>;
}

/** A provider: its own configuration block plus the resource and data source types it serves. */
export interface Provider<P> {
  metadata(): { typeName: string; version: string };
  schema(): Schema;
  validateConfig?(config: ObjectValue, diagnostics: Diagnostics): void;
  /** Turns the provider block into the value every operation receives. Must not fail for unknowns. */
  configure(config: ObjectValue, diagnostics: Diagnostics): Promise<P>;
  resources(): ReadonlyArray<Resource<P>>;
  dataSources(): ReadonlyArray<DataSource<P>>;
}
