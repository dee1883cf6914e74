/** The value-carrying tfplugin6 handlers in process (no gRPC): typed messages in, typed messages out. */
import { expect } from 'chai';
import pino from 'pino';
import { createFerryEngine } from '../../../provider/ferry-provider.js';
import { Diagnostics } from '../../../provider/framework/diagnostics.js';
import { objectFromEntries, unknown, type Value } from '../../../provider/framework/values.js';
import { createValueHandlers } from '../../../provider/protocol/rpc-handlers.js';
import type { PlanResourceChangeRequest, UpgradeResourceStateRequest } from '../../../provider/protocol/tfplugin6-messages.js';
import { decodeDynamicValue, encodeDynamicValue } from '../../../provider/protocol/value-codec.js';

const engine = createFerryEngine({});
const handlers = createValueHandlers(async () => engine, pino({ level: 'silent' }));
const policyType = engine.resourceType('ferry_policy');
const obj = (entries: Record<string, Value>) => objectFromEntries(Object.entries(entries));
const policy = (name: Value, text: Value) => obj({ name, policy: text, cluster: null });

describe('provider/protocol/rpc-handlers', () => {
  it('plans a replacement when the policy name changes, and answers with typed attribute paths', async () => {
    const request: PlanResourceChangeRequest = {
      type_name: 'ferry_policy',
      prior_state: encodeDynamicValue(policy('a', 'x'), policyType),
      proposed_new_state: encodeDynamicValue(policy('b', 'x'), policyType),
      config: encodeDynamicValue(policy('b', 'x'), policyType),
      prior_private: new Uint8Array([1, 2]),
    };
    const diagnostics = new Diagnostics();
    const response = await handlers.PlanResourceChange(request, diagnostics);
    expect(diagnostics.items).to.deep.equal([]);
    expect(decodeDynamicValue(response.planned_state, policyType)).to.deep.equal(policy('b', 'x'));
    expect(response.requires_replace).to.deep.equal([{ steps: [{ attribute_name: 'name' }] }]);
    expect(response.planned_private).to.deep.equal(new Uint8Array([1, 2]));
  });

  it('keeps an unknown planned value unknown on the wire', async () => {
    const diagnostics = new Diagnostics();
    const response = await handlers.PlanResourceChange(
      {
        type_name: 'ferry_policy',
        proposed_new_state: encodeDynamicValue(policy('a', unknown), policyType),
        config: encodeDynamicValue(policy('a', unknown), policyType),
      },
      diagnostics,
    );
    expect(decodeDynamicValue(response.planned_state, policyType)).to.deep.equal(policy('a', unknown));
  });

  it('upgrades JSON state and refuses state written by a newer schema version', async () => {
    const raw = { json: new TextEncoder().encode(JSON.stringify({ name: 'a', policy: 'x' })) };
    const current: UpgradeResourceStateRequest = { type_name: 'ferry_policy', version: 0, raw_state: raw };
    const diagnostics = new Diagnostics();
    const upgraded = await handlers.UpgradeResourceState(current, diagnostics);
    expect(decodeDynamicValue(upgraded.upgraded_state, policyType)).to.deep.equal(policy('a', 'x'));
    expect(diagnostics.items).to.deep.equal([]);

    const newer = await handlers.UpgradeResourceState({ ...current, version: 1 }, diagnostics);
    expect(newer).to.deep.equal({});
    expect(diagnostics.items.map((d) => d.summary)).to.deep.equal(['State written by a newer provider']);
  });

  it('reports flatmap-only state (written before Terraform 0.12) as unsupported', async () => {
    const diagnostics = new Diagnostics();
    await handlers.UpgradeResourceState({ type_name: 'ferry_policy', version: 0, raw_state: { json: new Uint8Array(0), flatmap: { id: 'a' } } }, diagnostics);
    expect(diagnostics.items.map((d) => d.summary)).to.deep.equal(['Unsupported state format']);
  });
});
