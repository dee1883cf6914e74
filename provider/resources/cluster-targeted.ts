import type { Diagnostics } from '../framework/diagnostics.js';
import type { DataSource, ModifyPlanRequest, Resource } from '../framework/resource.js';
import { impliedType, type Schema } from '../framework/schema.js';
import { objectFromEntries, valuesEqual, type ObjectValue, type Value } from '../framework/values.js';
import { clusterBlock, clusterBlockName, clusterReplacementPath, resolveClusterTarget } from './cluster-block.js';
import type { FerryProviderData } from './provider-data.js';

function withClusterBlock(schema: Schema): Schema {
  return { ...schema, block: { ...schema.block, blocks: { ...schema.block.blocks, [clusterBlockName]: clusterBlock } } };
}

function withCluster(result: ObjectValue, cluster: Value | undefined): ObjectValue {
  const out = objectFromEntries(Object.entries(result));
  out[clusterBlockName] = cluster ?? null;
  return out;
}

function withoutCluster(object: ObjectValue): ObjectValue {
  return objectFromEntries(Object.entries(object).filter(([k]) => k !== clusterBlockName));
}

/** `<id>@<cluster address>`: an import ID aimed at a cluster other than the provider's. */
const importIdPattern = /^(.*)@(https?:\/\/[^\s@/]+)\/?$/;

/**
 * Adds the optional `cluster` block to a resource: every operation runs against the cluster it names (the
 * provider's cluster without it), the state records the block so refresh and destroy reach the same
 * cluster, changing the block's address replaces the resource, and a change of credentials alone is
 * recorded without calling the wrapped resource. The wrapped resource never sees the block.
 */
export class ClusterTargetedResource implements Resource<FerryProviderData> {
  private readonly targetedSchema: Schema;

  constructor(private readonly inner: Resource<FerryProviderData>) {
    this.targetedSchema = withClusterBlock(inner.schema());
  }

  metadata() {
    return this.inner.metadata();
  }

  schema(): Schema {
    return this.targetedSchema;
  }

  validateConfig(config: ObjectValue, diagnostics: Diagnostics): void {
    this.inner.validateConfig?.(config, diagnostics);
  }

  modifyPlan(request: ModifyPlanRequest<FerryProviderData>, diagnostics: Diagnostics): void {
    const target = request.planned ?? request.prior;
    const provider = request.provider === undefined ? undefined : resolveClusterTarget(target, request.provider);
    if (request.prior !== null && request.planned !== null) {
      const path = clusterReplacementPath(request.prior, request.planned, request.provider?.address);
      if (path !== undefined) request.requiresReplace.push(path);
    }
    this.inner.modifyPlan?.({ ...request, provider }, diagnostics);
  }

  async create(request: { plan: ObjectValue; config: ObjectValue }, provider: FerryProviderData, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const result = await this.inner.create(request, resolveClusterTarget(request.plan, provider), diagnostics);
    return result === null ? null : withCluster(result, request.plan[clusterBlockName]);
  }

  async read(request: { state: ObjectValue }, provider: FerryProviderData, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const result = await this.inner.read(request, resolveClusterTarget(request.state, provider), diagnostics);
    return result === null ? null : withCluster(result, request.state[clusterBlockName]);
  }

  async update(
    request: { plan: ObjectValue; prior: ObjectValue; config: ObjectValue },
    provider: FerryProviderData,
    diagnostics: Diagnostics,
  ): Promise<ObjectValue | null> {
    const cluster = request.plan[clusterBlockName];
    // Only the credentials changed (a new token, a login): record them, the object itself is untouched.
    if (valuesEqual(withoutCluster(request.plan), withoutCluster(request.prior), impliedType(this.inner.schema().block))) {
      return withCluster(request.prior, cluster);
    }
    const result = await this.inner.update(request, resolveClusterTarget(request.plan, provider), diagnostics);
    return result === null ? null : withCluster(result, cluster);
  }

  async delete(request: { prior: ObjectValue }, provider: FerryProviderData, diagnostics: Diagnostics): Promise<void> {
    await this.inner.delete(request, resolveClusterTarget(request.prior, provider), diagnostics);
  }

  /**
   * `<id>` imports from the provider's cluster, `<id>@<address>` from another one; the state then holds a
   * `cluster` block with that address and no credentials (the provider's are used until the next apply
   * records the configured ones, in place).
   */
  async importState(id: string, provider: FerryProviderData, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const match = importIdPattern.exec(id);
    if (match === null) return await this.inner.importState(id, provider, diagnostics);
    const cluster = objectFromEntries([
      ['address', match[2] as string],
      ['token', null],
      ['ca_cert_file', null],
      ['skip_tls_verify', null],
      ['auth_login_userpass', null],
    ]);
    const result = await this.inner.importState(
      match[1] as string,
      resolveClusterTarget(objectFromEntries([[clusterBlockName, cluster]]), provider),
      diagnostics,
    );
    return result === null ? null : withCluster(result, cluster);
  }
}

/** The data source counterpart: `cluster` picks the cluster it reads. */
export class ClusterTargetedDataSource implements DataSource<FerryProviderData> {
  private readonly targetedSchema: Schema;

  constructor(private readonly inner: DataSource<FerryProviderData>) {
    this.targetedSchema = withClusterBlock(inner.schema());
  }

  metadata() {
    return this.inner.metadata();
  }

  schema(): Schema {
    return this.targetedSchema;
  }

  validateConfig(config: ObjectValue, diagnostics: Diagnostics): void {
    this.inner.validateConfig?.(config, diagnostics);
  }

  async read(request: { config: ObjectValue }, provider: FerryProviderData, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const result = await this.inner.read(request, resolveClusterTarget(request.config, provider), diagnostics);
    return result === null ? null : withCluster(result, request.config[clusterBlockName]);
  }
}
