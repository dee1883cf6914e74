import type { FerryClient } from '../client/ferry-client.js';
import { attributePath } from '../framework/diagnostics.js';
import { requiresReplace } from '../framework/plan-modifiers.js';
import type { Schema } from '../framework/schema.js';
import { stringType } from '../framework/value-type.js';
import { objectFromEntries, type ObjectValue } from '../framework/values.js';
import { ignoringNotFound } from './api-diagnostics.js';
import { stringValue } from './attribute-values.js';
import { nameValidator } from './path-validators.js';
import type { FerryResource } from './ferry-client-binding.js';

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
export class PolicyResource implements FerryResource {
  readonly operations = {
    create: { summary: 'Cannot write policy', path: attributePath('policy') },
    read: { summary: 'Cannot read policy' },
    update: { summary: 'Cannot write policy', path: attributePath('policy') },
    delete: { summary: 'Cannot delete policy' },
  };

  metadata() {
    return { typeName: 'ferry_policy' };
  }

  schema(): Schema {
    return schema;
  }

  async create({ plan }: { plan: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    return await this.write(plan, client);
  }

  async update({ plan }: { plan: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    return await this.write(plan, client);
  }

  async read({ state }: { state: ObjectValue }, client: FerryClient): Promise<ObjectValue | null> {
    const name = stringValue(state, 'name') ?? '';
    const res = await client.read<{ data?: { policy?: string; rules?: string }; policy?: string }>(`sys/policies/acl/${encodeURIComponent(name)}`);
    if (res === null) return null;
    const text = res.data?.policy ?? res.data?.rules ?? res.policy;
    if (typeof text !== 'string') return null;
    return objectFromEntries([
      ['name', name],
      ['policy', text],
    ]);
  }

  async delete({ prior }: { prior: ObjectValue }, client: FerryClient): Promise<void> {
    await ignoringNotFound(() => client.delete(`sys/policies/acl/${encodeURIComponent(stringValue(prior, 'name') ?? '')}`));
  }

  async importState(id: string): Promise<ObjectValue | null> {
    return objectFromEntries([['name', id]]);
  }

  private async write(plan: ObjectValue, client: FerryClient): Promise<ObjectValue> {
    await client.write(`sys/policies/acl/${encodeURIComponent(stringValue(plan, 'name') ?? '')}`, { policy: stringValue(plan, 'policy') });
    return plan;
  }
}
