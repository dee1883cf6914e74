import { attributePath, Diagnostics, type AttributePath } from './diagnostics.js';
import type { DataSource, Provider, Resource } from './resource.js';
import { impliedType, type BlockSchema, type Schema } from './schema.js';
import type { ValueType } from './value-type.js';
import { isObjectValue, isWhollyKnown, objectFromEntries, unknown, valuesEqual, type ObjectValue, type Value } from './values.js';

export interface PlanResult {
  planned: Value;
  requiresReplace: AttributePath[];
}

/**
 * The transport-free core of a provider: typed values in, typed values and diagnostics out. The protocol
 * layer only converts wire messages; every Terraform contract (unknown computed values on create, defaults,
 * plan modifiers, wholly known apply results) is kept here.
 */
export class ProviderEngine<P> {
  private readonly resources = new Map<string, Resource<P>>();
  private readonly dataSources = new Map<string, DataSource<P>>();
  private configured: P | undefined;

  constructor(readonly provider: Provider<P>) {
    for (const r of provider.resources()) this.resources.set(r.metadata().typeName, r);
    for (const d of provider.dataSources()) this.dataSources.set(d.metadata().typeName, d);
  }

  providerType(): ValueType {
    return impliedType(this.provider.schema().block);
  }

  resourceType(typeName: string): ValueType {
    return impliedType(this.resource(typeName).schema().block);
  }

  dataSourceType(typeName: string): ValueType {
    return impliedType(this.dataSource(typeName).schema().block);
  }

  resourceSchemaVersion(typeName: string): number {
    return this.resource(typeName).schema().version;
  }

  hasResource(typeName: string): boolean {
    return this.resources.has(typeName);
  }

  hasDataSource(typeName: string): boolean {
    return this.dataSources.has(typeName);
  }

  validateProviderConfig(config: Value, diagnostics: Diagnostics): void {
    if (!isObjectValue(config)) return;
    validateAttributes(this.provider.schema().block, config, [], diagnostics);
    this.provider.validateConfig?.(config, diagnostics);
  }

  async configure(config: Value, diagnostics: Diagnostics): Promise<void> {
    if (!isObjectValue(config)) {
      diagnostics.error('Invalid provider configuration', 'The provider configuration is not an object.');
      return;
    }
    this.configured = await this.provider.configure(config, diagnostics);
  }

  validateResourceConfig(typeName: string, config: Value, diagnostics: Diagnostics): void {
    const resource = this.resource(typeName);
    if (!isObjectValue(config)) return;
    validateAttributes(resource.schema().block, config, [], diagnostics);
    resource.validateConfig?.(config, diagnostics);
  }

  validateDataSourceConfig(typeName: string, config: Value, diagnostics: Diagnostics): void {
    const dataSource = this.dataSource(typeName);
    if (!isObjectValue(config)) return;
    validateAttributes(dataSource.schema().block, config, [], diagnostics);
    dataSource.validateConfig?.(config, diagnostics);
  }

  planResourceChange(typeName: string, prior: Value, proposed: Value, config: Value, diagnostics: Diagnostics): PlanResult {
    const resource = this.resource(typeName);
    const priorState = isObjectValue(prior) ? prior : null;
    if (!isObjectValue(proposed) || !isObjectValue(config)) {
      resource.modifyPlan?.({ provider: this.configured, prior: priorState, planned: null, config: null, requiresReplace: [] }, diagnostics);
      return { planned: null, requiresReplace: [] };
    }
    const schema = resource.schema();
    const attributes = schema.block.attributes;
    const planned: ObjectValue = objectFromEntries(Object.entries(proposed));
    for (const [name, attribute] of Object.entries(attributes)) {
      if (attribute.default !== undefined && config[name] === null) planned[name] = attribute.default;
    }
    // Computed values the configuration leaves open are decided by apply, unless nothing changes.
    const changes = priorState === null || !valuesEqual(planned, priorState, impliedType(schema.block));
    if (changes) {
      for (const [name, attribute] of Object.entries(attributes)) {
        if (attribute.computed && config[name] === null && attribute.default === undefined) planned[name] = unknown;
      }
    }
    const requiresReplace: AttributePath[] = [];
    for (const [name, attribute] of Object.entries(attributes)) {
      for (const modifier of attribute.planModifiers ?? []) {
        const result = modifier.modify({
          attribute: name,
          configValue: config[name] ?? null,
          priorValue: priorState === null ? undefined : (priorState[name] ?? null),
          plannedValue: planned[name] ?? null,
          priorState,
          config,
        });
        if (result.plannedValue !== undefined) planned[name] = result.plannedValue;
        if (result.requiresReplace && !requiresReplace.some((p) => p[0] && 'attribute' in p[0] && p[0].attribute === name)) {
          requiresReplace.push(attributePath(name));
        }
      }
    }
    const extra: AttributePath[] = [];
    resource.modifyPlan?.({ provider: this.configured, prior: priorState, planned, config, requiresReplace: extra }, diagnostics);
    if (priorState !== null) {
      for (const path of extra) if (!requiresReplace.some((p) => JSON.stringify(p) === JSON.stringify(path))) requiresReplace.push(path);
    }
    return { planned, requiresReplace };
  }

  async applyResourceChange(typeName: string, prior: Value, planned: Value, config: Value, diagnostics: Diagnostics): Promise<Value> {
    const resource = this.resource(typeName);
    const provider = this.requireConfigured(diagnostics);
    if (provider === undefined) return prior;
    if (!isObjectValue(planned)) {
      if (isObjectValue(prior)) await resource.delete({ prior }, provider, diagnostics);
      return diagnostics.hasErrors() ? prior : null;
    }
    const cfg = isObjectValue(config) ? config : planned;
    const result = isObjectValue(prior)
      ? await resource.update({ plan: planned, prior, config: cfg }, provider, diagnostics)
      : await resource.create({ plan: planned, config: cfg }, provider, diagnostics);
    if (result === null) return diagnostics.hasErrors() ? (isObjectValue(prior) ? prior : null) : null;
    // Terraform rejects an apply result that contradicts a known planned value; the plan is the promise.
    const applied = objectFromEntries(Object.entries(result));
    for (const [name, value] of Object.entries(planned)) if (isWhollyKnown(value)) applied[name] = value;
    return this.completeState(resource.schema(), applied);
  }

  async readResource(typeName: string, state: Value, diagnostics: Diagnostics): Promise<Value> {
    const resource = this.resource(typeName);
    if (!isObjectValue(state)) return null;
    const provider = this.requireConfigured(diagnostics);
    if (provider === undefined) return state;
    const result = await resource.read({ state }, provider, diagnostics);
    if (result === null) return diagnostics.hasErrors() ? state : null;
    return this.completeState(resource.schema(), result);
  }

  async importResourceState(typeName: string, id: string, diagnostics: Diagnostics): Promise<Value> {
    const resource = this.resource(typeName);
    const provider = this.requireConfigured(diagnostics);
    if (provider === undefined) return null;
    const result = await resource.importState(id, provider, diagnostics);
    return result === null ? null : this.completeState(resource.schema(), result);
  }

  async readDataSource(typeName: string, config: Value, diagnostics: Diagnostics): Promise<Value> {
    const dataSource = this.dataSource(typeName);
    const provider = this.requireConfigured(diagnostics);
    if (provider === undefined || !isObjectValue(config)) return config;
    const result = await dataSource.read({ config }, provider, diagnostics);
    return result === null ? config : this.completeState(dataSource.schema(), result);
  }

  private resource(typeName: string): Resource<P> {
    const r = this.resources.get(typeName);
    if (r === undefined) throw new UnknownTypeError('resource', typeName);
    return r;
  }

  private dataSource(typeName: string): DataSource<P> {
    const d = this.dataSources.get(typeName);
    if (d === undefined) throw new UnknownTypeError('data source', typeName);
    return d;
  }

  private requireConfigured(diagnostics: Diagnostics): P | undefined {
    if (this.configured === undefined) {
      diagnostics.error('Provider not configured', 'Terraform did not configure the provider before using it.');
    }
    return this.configured;
  }

  /** Fills attributes a resource left out with null and never lets an unknown reach Terraform's state. */
  private completeState(schema: Schema, state: ObjectValue): ObjectValue {
    const entries: Array<[string, Value]> = Object.keys(schema.block.attributes).map((name) => {
      const v = state[name];
      return [name, v === undefined || !isWhollyKnown(v) ? null : v];
    });
    for (const name of Object.keys(schema.block.blocks ?? {})) entries.push([name, state[name] ?? null]);
    return objectFromEntries(entries);
  }
}

/** Terraform asked about a type this provider does not serve. */
export class UnknownTypeError extends Error {
  constructor(
    readonly kind: string,
    readonly typeName: string,
  ) {
    super(`unknown ${kind} type ${typeName}`);
    this.name = 'UnknownTypeError';
  }
}

function validateAttributes(block: BlockSchema, config: ObjectValue, path: AttributePath, diagnostics: Diagnostics): void {
  for (const [name, attribute] of Object.entries(block.attributes)) {
    const value = config[name] ?? null;
    if (value === null || !isWhollyKnown(value)) continue;
    for (const validate of attribute.validators ?? []) validate(value, [...path, { attribute: name }], diagnostics);
  }
  for (const [name, nested] of Object.entries(block.blocks ?? {})) {
    const value = config[name];
    if (nested.nesting === 'single' || nested.nesting === 'group') {
      if (isObjectValue(value)) validateAttributes(nested.block, value, [...path, { attribute: name }], diagnostics);
    }
  }
}
