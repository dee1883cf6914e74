import { ApiError } from '../client/api-error.js';
import { attributePath, type Diagnostics } from '../framework/diagnostics.js';
import { requiresReplace } from '../framework/plan-modifiers.js';
import type { Resource } from '../framework/resource.js';
import type { Schema } from '../framework/schema.js';
import { stringType } from '../framework/value-type.js';
import { objectFromEntries, type ObjectValue } from '../framework/values.js';
import { reportApiError } from './api-diagnostics.js';
import { stringValue } from './attribute-values.js';
import { nameValidator } from './path-validators.js';
import { requireClient, type FerryProviderData } from './provider-data.js';

const schema: Schema = {
  version: 0,
  block: {
    description: 'An ACL policy.',
    attributes: {
      name: { type: stringType, required: true, planModifiers: [requiresReplace()], validators: [nameValidator], description: 'The policy name.' },
      policy: { type: stringType, required: true, description: 'The policy document (HCL or JSON).' },
    },
  },
};

/** `ferry_policy`: sys/policies/acl/<name> with body {policy}. */
export class PolicyResource implements Resource<FerryProviderData> {
  metadata() {
    return { typeName: 'ferry_policy' };
  }

  schema(): Schema {
    return schema;
  }

  async create({ plan }: { plan: ObjectValue }, provider: FerryProviderData, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    return await this.write(plan, provider, diagnostics);
  }

  async update({ plan }: { plan: ObjectValue }, provider: FerryProviderData, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    return await this.write(plan, provider, diagnostics);
  }

  async read({ state }: { state: ObjectValue }, provider: FerryProviderData, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const client = requireClient(provider, diagnostics, 'Cannot read policy');
    if (client === undefined) return null;
    const name = stringValue(state, 'name') ?? '';
    try {
      const res = await client.read<{ data?: { policy?: string; rules?: string }; policy?: string }>(`sys/policies/acl/${encodeURIComponent(name)}`);
      if (res === null) return null;
      const text = res.data?.policy ?? res.data?.rules ?? res.policy;
      if (typeof text !== 'string') return null;
      return objectFromEntries([
        ['name', name],
        ['policy', text],
      ]);
    } catch (err) {
      reportApiError(diagnostics, 'Cannot read policy', err);
      return null;
    }
  }

  async delete({ prior }: { prior: ObjectValue }, provider: FerryProviderData, diagnostics: Diagnostics): Promise<void> {
    const client = requireClient(provider, diagnostics, 'Cannot delete policy');
    if (client === undefined) return;
    try {
      await client.delete(`sys/policies/acl/${encodeURIComponent(stringValue(prior, 'name') ?? '')}`);
    } catch (err) {
      if (err instanceof ApiError && err.isNotFound) return;
      reportApiError(diagnostics, 'Cannot delete policy', err);
    }
  }

  async importState(id: string): Promise<ObjectValue | null> {
    return objectFromEntries([['name', id]]);
  }

  private async write(plan: ObjectValue, provider: FerryProviderData, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const client = requireClient(provider, diagnostics, 'Cannot write policy');
    if (client === undefined) return null;
    try {
      await client.write(`sys/policies/acl/${encodeURIComponent(stringValue(plan, 'name') ?? '')}`, { policy: stringValue(plan, 'policy') });
    } catch (err) {
      reportApiError(diagnostics, 'Cannot write policy', err, attributePath('policy'));
      return null;
    }
    return plan;
  }
}
