/**
 * The plan/apply engine in process, without gRPC: a small provider with one resource type (`test_thing`)
 * backed by an in-memory table stands in for a server. Each table row is one Terraform situation.
 */
import { expect } from 'chai';
import { attributePath, Diagnostics, type AttributePath, type Diagnostic } from '../../../provider/framework/diagnostics.js';
import { requiresReplace, useStateForUnknown } from '../../../provider/framework/plan-modifiers.js';
import { ProviderEngine, UnknownTypeError } from '../../../provider/framework/provider-engine.js';
import type { DataSource, ModifyPlanRequest, Provider, Resource } from '../../../provider/framework/resource.js';
import type { Schema } from '../../../provider/framework/schema.js';
import { numberType, stringType } from '../../../provider/framework/value-type.js';
import { objectFromEntries, unknown, type ObjectValue, type Value } from '../../../provider/framework/values.js';

/** What `configure` hands every operation: the in-memory "server". */
interface Backend {
  things: Map<string, { name: string; secret: string | null; size: number; note: string; generation: number }>;
  nextId: number;
  /** Names the backend refuses, to produce API-style failures. */
  refuse: Set<string>;
}

const noSlashes = (value: Value, path: AttributePath, diagnostics: Diagnostics): void => {
  if (typeof value === 'string' && value.includes('/')) diagnostics.error('Invalid name', `"${value}" contains a slash.`, path);
};

const thingSchema: Schema = {
  version: 0,
  block: {
    description: 'A thing.',
    attributes: {
      id: { type: stringType, computed: true, planModifiers: [useStateForUnknown()], description: 'Assigned by the backend.' },
      name: { type: stringType, required: true, planModifiers: [requiresReplace()], validators: [noSlashes], description: 'Replaces when changed.' },
      secret: { type: stringType, optional: true, sensitive: true, description: 'Updated in place.' },
      size: { type: numberType, optional: true, computed: true, default: 1, description: 'Defaults to 1.' },
      note: { type: stringType, optional: true, computed: true, description: 'The backend picks one when not configured.' },
      generation: { type: numberType, computed: true, description: 'Counts writes.' },
    },
    blocks: {
      labels: {
        nesting: 'single',
        block: { description: 'Labels.', attributes: { label: { type: stringType, optional: true, validators: [noSlashes], description: 'A label.' } } },
      },
    },
  },
};

const str = (o: ObjectValue, k: string): string | null => (typeof o[k] === 'string' ? (o[k] as string) : null);

class ThingResource implements Resource<Backend> {
  metadata() {
    return { typeName: 'test_thing' };
  }
  schema(): Schema {
    return thingSchema;
  }
  modifyPlan({ prior, planned, requiresReplace }: ModifyPlanRequest<Backend>, diagnostics: Diagnostics): void {
    if (planned !== null && planned['secret'] === 'hunter2') diagnostics.warning('Weak secret', 'That secret is well known.', attributePath('secret'));
    if (prior !== null && planned === null) diagnostics.warning('Deleting a thing', 'The thing is gone for good.');
    // A condition across attributes: growing past 10 replaces (ignored by the engine on create).
    if (planned !== null && typeof planned['size'] === 'number' && planned['size'] > 10) requiresReplace.push(attributePath('size'));
  }
  async create({ plan }: { plan: ObjectValue }, backend: Backend, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const name = str(plan, 'name') ?? '';
    if (backend.refuse.has(name)) {
      diagnostics.error('Cannot create thing', `the backend refused "${name}"`, attributePath('name'));
      return null;
    }
    const id = `id-${backend.nextId++}`;
    backend.things.set(id, {
      name,
      secret: str(plan, 'secret'),
      size: Number(plan['size'] ?? 1),
      note: str(plan, 'note') ?? 'chosen by the backend',
      generation: 1,
    });
    return await this.read({ state: objectFromEntries([['id', id]]) }, backend);
  }
  async read({ state }: { state: ObjectValue }, backend: Backend): Promise<ObjectValue | null> {
    const thing = backend.things.get(str(state, 'id') ?? '');
    if (thing === undefined) return null;
    return objectFromEntries([
      ['id', str(state, 'id')],
      ['name', thing.name],
      ['secret', thing.secret],
      ['size', thing.size],
      ['note', thing.note],
      ['generation', thing.generation],
      ['labels', state['labels'] ?? null],
    ]);
  }
  async update({ plan, prior }: { plan: ObjectValue; prior: ObjectValue }, backend: Backend, diagnostics: Diagnostics): Promise<ObjectValue | null> {
    const id = str(prior, 'id') ?? '';
    const thing = backend.things.get(id);
    if (thing === undefined || backend.refuse.has(thing.name)) {
      diagnostics.error('Cannot update thing', `the backend refused ${id}`, attributePath('secret'));
      return null;
    }
    thing.secret = str(plan, 'secret');
    thing.size = Number(plan['size'] ?? 1);
    thing.note = str(plan, 'note') ?? thing.note;
    thing.generation++;
    return await this.read({ state: prior }, backend);
  }
  async delete({ prior }: { prior: ObjectValue }, backend: Backend, diagnostics: Diagnostics): Promise<void> {
    const id = str(prior, 'id') ?? '';
    if (backend.refuse.has(backend.things.get(id)?.name ?? '')) diagnostics.error('Cannot delete thing', `the backend refused ${id}`);
    else backend.things.delete(id);
  }
  async importState(id: string): Promise<ObjectValue | null> {
    return id === '' ? null : objectFromEntries([['id', id]]);
  }
}

/** A resource that breaks the rules: it returns an unknown and leaves attributes out. */
class SloppyResource extends ThingResource {
  override metadata() {
    return { typeName: 'test_sloppy' };
  }
  override async create(): Promise<ObjectValue | null> {
    return objectFromEntries([
      ['id', 'sloppy-1'],
      ['note', unknown],
      ['generation', 7],
    ]);
  }
}

class CountDataSource implements DataSource<Backend> {
  metadata() {
    return { typeName: 'test_count' };
  }
  schema(): Schema {
    return { version: 0, block: { description: 'Counts things.', attributes: { count: { type: numberType, computed: true, description: 'How many.' } } } };
  }
  async read(_request: { config: ObjectValue }, backend: Backend): Promise<ObjectValue | null> {
    return objectFromEntries([['count', backend.things.size]]);
  }
}

class TestProvider implements Provider<Backend> {
  constructor(readonly backend: Backend) {}
  metadata() {
    return { typeName: 'test', version: '0.0.1' };
  }
  schema(): Schema {
    return { version: 0, block: { description: 'Test.', attributes: { endpoint: { type: stringType, optional: true, description: 'Where.' } } } };
  }
  async configure(): Promise<Backend> {
    return this.backend;
  }
  resources() {
    return [new ThingResource(), new SloppyResource()];
  }
  dataSources() {
    return [new CountDataSource()];
  }
}

const obj = (entries: Record<string, Value>): ObjectValue => objectFromEntries(Object.entries(entries));
const config = (over: Record<string, Value> = {}): ObjectValue =>
  obj({ id: null, name: 'a', secret: null, size: null, note: null, generation: null, labels: null, ...over });
const state = (over: Record<string, Value> = {}): ObjectValue =>
  obj({ id: 'id-1', name: 'a', secret: null, size: 1, note: 'chosen by the backend', generation: 1, labels: null, ...over });
const computed = new Set(['id', 'size', 'note', 'generation']);

/** Terraform's proposed new state: the configuration, with computed attributes it leaves null taken from the prior state. */
function proposed(prior: ObjectValue | null, cfg: ObjectValue): ObjectValue {
  return objectFromEntries(Object.entries(cfg).map(([k, v]) => [k, v === null && computed.has(k) && prior !== null ? (prior[k] ?? null) : v]));
}

/** Diagnostics as data, for comparing: severity, summary and the attribute path's names. */
const summarize = (diagnostics: Diagnostics) =>
  diagnostics.items.map((d: Diagnostic) => ({
    severity: d.severity,
    summary: d.summary,
    path: (d.path ?? []).map((s) => ('attribute' in s ? s.attribute : 'elementKey' in s ? s.elementKey : s.elementIndex)).join('.'),
  }));

function newBackend(): Backend {
  return { things: new Map(), nextId: 1, refuse: new Set() };
}

async function configuredEngine(backend = newBackend()): Promise<ProviderEngine<Backend>> {
  const engine = new ProviderEngine(new TestProvider(backend));
  const diagnostics = new Diagnostics();
  await engine.configure(obj({ endpoint: null }), diagnostics);
  expect(diagnostics.items).to.deep.equal([]);
  return engine;
}

describe('provider/framework/provider-engine', () => {
  describe('planResourceChange', () => {
    const cases: Array<{
      name: string;
      prior: ObjectValue | null;
      config: ObjectValue | null;
      planned: Record<string, Value> | null;
      requiresReplace?: string[];
      diagnostics?: Array<{ severity: string; summary: string; path: string }>;
    }> = [
      {
        name: 'create: computed attributes the configuration leaves open are unknown; defaults are planned',
        prior: null,
        config: config(),
        planned: { id: unknown, name: 'a', secret: null, size: 1, note: unknown, generation: unknown, labels: null },
      },
      {
        name: 'create: an unknown configured value stays unknown',
        prior: null,
        config: config({ name: unknown, note: 'mine' }),
        planned: { id: unknown, name: unknown, secret: null, size: 1, note: 'mine', generation: unknown, labels: null },
      },
      {
        name: 'create: a configured value beats the default',
        prior: null,
        config: config({ size: 3 }),
        planned: { id: unknown, name: 'a', secret: null, size: 3, note: unknown, generation: unknown, labels: null },
      },
      {
        name: 'no change: the prior state is planned as it is, with no unknowns',
        prior: state(),
        config: config(),
        planned: { ...state() },
      },
      {
        name: 'in-place update of a sensitive value: UseStateForUnknown keeps id, other computed values become unknown',
        prior: state({ secret: 's1' }),
        config: config({ secret: 's2' }),
        planned: { id: 'id-1', name: 'a', secret: 's2', size: 1, note: unknown, generation: unknown, labels: null },
      },
      {
        name: 'a null optional+computed attribute with a default plans the default again',
        prior: state({ size: 5 }),
        config: config(),
        planned: { id: 'id-1', name: 'a', secret: null, size: 1, note: unknown, generation: unknown, labels: null },
      },
      {
        name: 'RequiresReplace: a changed name replaces',
        prior: state(),
        config: config({ name: 'b' }),
        planned: { id: 'id-1', name: 'b', secret: null, size: 1, note: unknown, generation: unknown, labels: null },
        requiresReplace: ['name'],
      },
      {
        name: 'RequiresReplace: a name that becomes unknown replaces',
        prior: state(),
        config: config({ name: unknown }),
        planned: { id: 'id-1', name: unknown, secret: null, size: 1, note: unknown, generation: unknown, labels: null },
        requiresReplace: ['name'],
      },
      {
        name: 'a replacement asked for by modifyPlan is added to the attribute modifiers',
        prior: state(),
        config: config({ name: 'b', size: 11 }),
        planned: { id: 'id-1', name: 'b', secret: null, size: 11, note: unknown, generation: unknown, labels: null },
        requiresReplace: ['name', 'size'],
      },
      {
        name: 'modifyPlan replacements are ignored on create',
        prior: null,
        config: config({ size: 11 }),
        planned: { id: unknown, name: 'a', secret: null, size: 11, note: unknown, generation: unknown, labels: null },
      },
      {
        name: 'modifyPlan diagnostics keep their attribute path',
        prior: null,
        config: config({ secret: 'hunter2' }),
        planned: { id: unknown, name: 'a', secret: 'hunter2', size: 1, note: unknown, generation: unknown, labels: null },
        diagnostics: [{ severity: 'warning', summary: 'Weak secret', path: 'secret' }],
      },
      {
        name: 'destroy: the planned state is null and modifyPlan still sees it',
        prior: state(),
        config: null,
        planned: null,
        diagnostics: [{ severity: 'warning', summary: 'Deleting a thing', path: '' }],
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const engine = await configuredEngine();
        const diagnostics = new Diagnostics();
        const result = engine.planResourceChange('test_thing', c.prior, c.config === null ? null : proposed(c.prior, c.config), c.config, diagnostics);
        expect(result.planned).to.deep.equal(c.planned === null ? null : obj(c.planned));
        expect(result.requiresReplace).to.deep.equal((c.requiresReplace ?? []).map((n) => attributePath(n)));
        expect(summarize(diagnostics)).to.deep.equal(c.diagnostics ?? []);
      });
    }
  });

  describe('applyResourceChange', () => {
    const cases: Array<{
      name: string;
      stored?: Array<[string, string]>;
      refuse?: string[];
      prior: ObjectValue | null;
      planned: ObjectValue | null;
      state: Record<string, Value> | null;
      storedAfter: number;
      diagnostics?: Array<{ severity: string; summary: string; path: string }>;
    }> = [
      {
        name: 'create: every unknown is resolved by what the backend reports',
        prior: null,
        planned: obj({ id: unknown, name: 'a', secret: 's', size: 1, note: unknown, generation: unknown, labels: null }),
        state: { id: 'id-1', name: 'a', secret: 's', size: 1, note: 'chosen by the backend', generation: 1, labels: null },
        storedAfter: 1,
      },
      {
        name: 'create: a known planned value is the promise, whatever the backend reports',
        prior: null,
        planned: obj({ id: unknown, name: 'a', secret: null, size: 2, note: 'mine', generation: unknown, labels: null }),
        state: { id: 'id-1', name: 'a', secret: null, size: 2, note: 'mine', generation: 1, labels: null },
        storedAfter: 1,
      },
      {
        name: 'create refused: no state, the diagnostic names the attribute',
        refuse: ['a'],
        prior: null,
        planned: obj({ id: unknown, name: 'a', secret: null, size: 1, note: unknown, generation: unknown, labels: null }),
        state: null,
        storedAfter: 0,
        diagnostics: [{ severity: 'error', summary: 'Cannot create thing', path: 'name' }],
      },
      {
        name: 'update in place: the sensitive value changes and computed values are read back',
        stored: [['id-1', 'a']],
        prior: state({ secret: 's1' }),
        planned: obj({ id: 'id-1', name: 'a', secret: 's2', size: 1, note: unknown, generation: unknown, labels: null }),
        state: { id: 'id-1', name: 'a', secret: 's2', size: 1, note: 'chosen by the backend', generation: 2, labels: null },
        storedAfter: 1,
      },
      {
        name: 'update refused: the prior state is kept',
        stored: [['id-1', 'a']],
        refuse: ['a'],
        prior: state({ secret: 's1' }),
        planned: obj({ id: 'id-1', name: 'a', secret: 's2', size: 1, note: unknown, generation: unknown, labels: null }),
        state: { ...state({ secret: 's1' }) },
        storedAfter: 1,
        diagnostics: [{ severity: 'error', summary: 'Cannot update thing', path: 'secret' }],
      },
      {
        name: 'destroy: the state becomes null',
        stored: [['id-1', 'a']],
        prior: state(),
        planned: null,
        state: null,
        storedAfter: 0,
      },
      {
        name: 'destroy refused: the prior state is kept',
        stored: [['id-1', 'a']],
        refuse: ['a'],
        prior: state(),
        planned: null,
        state: { ...state() },
        storedAfter: 1,
        diagnostics: [{ severity: 'error', summary: 'Cannot delete thing', path: '' }],
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const backend = newBackend();
        for (const [id, name] of c.stored ?? []) backend.things.set(id, { name, secret: 's1', size: 1, note: 'chosen by the backend', generation: 1 });
        backend.nextId = backend.things.size + 1;
        for (const name of c.refuse ?? []) backend.refuse.add(name);
        const engine = await configuredEngine(backend);
        const diagnostics = new Diagnostics();
        const result = await engine.applyResourceChange('test_thing', c.prior, c.planned, c.planned, diagnostics);
        expect(result).to.deep.equal(c.state === null ? null : obj(c.state));
        expect(backend.things.size).to.equal(c.storedAfter);
        expect(summarize(diagnostics)).to.deep.equal(c.diagnostics ?? []);
      });
    }

    it('never lets an unknown or a missing attribute reach the state', async () => {
      const engine = await configuredEngine();
      const diagnostics = new Diagnostics();
      const planned = obj({ id: unknown, name: 'a', secret: null, size: 1, note: unknown, generation: unknown, labels: null });
      const result = await engine.applyResourceChange('test_sloppy', null, planned, planned, diagnostics);
      expect(result).to.deep.equal(obj({ id: 'sloppy-1', name: 'a', secret: null, size: 1, note: null, generation: 7, labels: null }));
    });

    it('refuses to apply before the provider is configured, keeping the prior state', async () => {
      const engine = new ProviderEngine(new TestProvider(newBackend()));
      const diagnostics = new Diagnostics();
      const result = await engine.applyResourceChange('test_thing', state(), null, null, diagnostics);
      expect(result).to.deep.equal(state());
      expect(summarize(diagnostics)).to.deep.equal([{ severity: 'error', summary: 'Provider not configured', path: '' }]);
    });
  });

  describe('read, import and data sources', () => {
    it('reads null for an object the backend no longer has, so Terraform plans to create it again', async () => {
      const engine = await configuredEngine();
      const diagnostics = new Diagnostics();
      expect(await engine.readResource('test_thing', state(), diagnostics)).to.equal(null);
      expect(diagnostics.items).to.deep.equal([]);
    });

    it('imports by ID: attributes the import leaves out are null, and the read that follows fills them in', async () => {
      const backend = newBackend();
      backend.things.set('id-9', { name: 'imported', secret: null, size: 4, note: 'n', generation: 3 });
      const engine = await configuredEngine(backend);
      const diagnostics = new Diagnostics();
      const imported = await engine.importResourceState('test_thing', 'id-9', diagnostics);
      expect(imported).to.deep.equal(obj({ id: 'id-9', name: null, secret: null, size: null, note: null, generation: null, labels: null }));
      const read = await engine.readResource('test_thing', imported, diagnostics);
      expect(read).to.deep.equal(obj({ id: 'id-9', name: 'imported', secret: null, size: 4, note: 'n', generation: 3, labels: null }));
      expect(await engine.importResourceState('test_thing', '', diagnostics)).to.equal(null);
      expect(diagnostics.items).to.deep.equal([]);
    });

    it('reads a data source with the configured backend', async () => {
      const backend = newBackend();
      backend.things.set('id-1', { name: 'a', secret: null, size: 1, note: 'n', generation: 1 });
      const engine = await configuredEngine(backend);
      expect(await engine.readDataSource('test_count', obj({ count: null }), new Diagnostics())).to.deep.equal(obj({ count: 1 }));
    });

    it('names an unknown type in a typed error the protocol layer turns into a diagnostic', async () => {
      const engine = await configuredEngine();
      expect(() => engine.resourceType('test_nothing')).to.throw(UnknownTypeError, /resource type test_nothing/);
      expect(() => engine.dataSourceType('test_thing')).to.throw(UnknownTypeError, /data source type test_thing/);
    });
  });

  describe('validateResourceConfig', () => {
    const cases: Array<{ name: string; config: ObjectValue; paths: string[] }> = [
      { name: 'a valid configuration has no diagnostics', config: config({ name: 'ok' }), paths: [] },
      { name: 'a validator reports at its attribute', config: config({ name: 'a/b' }), paths: ['name'] },
      { name: 'unknown values are not validated (they are checked again at apply)', config: config({ name: unknown }), paths: [] },
      { name: 'attributes in a nested block report with the block in the path', config: config({ labels: obj({ label: 'x/y' }) }), paths: ['labels.label'] },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const engine = await configuredEngine();
        const diagnostics = new Diagnostics();
        engine.validateResourceConfig('test_thing', c.config, diagnostics);
        expect(summarize(diagnostics).map((d) => d.path)).to.deep.equal(c.paths);
        expect(diagnostics.items.every((d) => d.severity === 'error' && d.summary === 'Invalid name')).to.equal(true);
      });
    }
  });
});
