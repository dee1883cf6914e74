import { expect } from 'chai';
import { attributePath, Diagnostics, type AttributePath } from '../../../provider/framework/diagnostics.js';
import { clientDataSource, clientResource, step, type ClientBinding, type ClientResource } from '../../../provider/framework/client-resource.js';
import type { Schema } from '../../../provider/framework/schema.js';
import { stringType } from '../../../provider/framework/value-type.js';
import { objectFromEntries, type ObjectValue } from '../../../provider/framework/values.js';

/** The "client" is a function that answers a call name or throws; the provider data may lack one. */
type Client = (call: string) => string;
interface Data {
  client?: Client;
}

const binding: ClientBinding<Data, Client> = {
  clientFor: (data) => (data.client === undefined ? { unavailableReason: 'The address is only known after apply.' } : { client: data.client }),
  reportFailure: (diagnostics, summary, failure, path?: AttributePath) => diagnostics.error(summary, `said: ${(failure as Error).message}`, path),
};

const schema: Schema = { version: 0, block: { description: 'A note.', attributes: { text: { type: stringType, required: true, description: 'Text.' } } } };
const note = (text: string): ObjectValue => objectFromEntries([['text', text]]);

class NoteResource implements ClientResource<Client, Data> {
  readonly operations: ClientResource<Client, Data>['operations'] = {
    create: { summary: 'Cannot create note', path: attributePath('text') },
    read: { summary: 'Cannot read note' },
    update: { summary: 'Cannot update note' },
    delete: { summary: 'Cannot delete note' },
  };
  metadata() {
    return { typeName: 'test_note' };
  }
  schema() {
    return schema;
  }
  async create(_request: { plan: ObjectValue }, client: Client) {
    client('create');
    // Reading back after the write is a step with its own summary.
    return await step('Cannot read note back', async () => note(client('read')));
  }
  async read(_request: { state: ObjectValue }, client: Client) {
    return note(client('read'));
  }
  readWithoutClient(state: ObjectValue) {
    return state['text'] === 'offline' ? state : undefined;
  }
  async update({ plan }: { plan: ObjectValue }, client: Client) {
    client('update');
    return plan;
  }
  async delete(_request: { prior: ObjectValue }, client: Client) {
    client('delete');
  }
  async importState(id: string) {
    return note(id);
  }
}

/** A client that answers "stored" and fails the calls named in `failing`. */
const clientFailing =
  (...failing: string[]): Client =>
  (call) => {
    if (failing.includes(call)) throw new Error(`${call} refused`);
    return 'stored';
  };

const summarize = (d: Diagnostics) => d.items.map((i) => [i.summary, i.detail, (i.path ?? []).map((s) => ('attribute' in s ? s.attribute : '?')).join('.')]);

describe('provider/framework/client-resource', () => {
  const resource = clientResource(new NoteResource(), binding);
  const cases: Array<{ name: string; data: Data; run: (d: Diagnostics, data: Data) => Promise<unknown>; result: unknown; diagnostics: string[][] }> = [
    {
      name: 'create with a client: the resource only maps the model',
      data: { client: clientFailing() },
      run: (d, data) => resource.create({ plan: note('x'), config: note('x') }, data, d),
      result: note('stored'),
      diagnostics: [],
    },
    {
      name: 'no client: an error under the operation summary with the reason, and no state',
      data: {},
      run: (d, data) => resource.create({ plan: note('x'), config: note('x') }, data, d),
      result: null,
      diagnostics: [['Cannot create note', 'The address is only known after apply.', '']],
    },
    {
      name: 'a failed call: reported under the operation summary at its attribute',
      data: { client: clientFailing('create') },
      run: (d, data) => resource.create({ plan: note('x'), config: note('x') }, data, d),
      result: null,
      diagnostics: [['Cannot create note', 'said: create refused', 'text']],
    },
    {
      name: 'a failed step: reported under the step summary',
      data: { client: clientFailing('read') },
      run: (d, data) => resource.create({ plan: note('x'), config: note('x') }, data, d),
      result: null,
      diagnostics: [['Cannot read note back', 'said: read refused', '']],
    },
    {
      name: 'read failure keeps no state and says so',
      data: { client: clientFailing('read') },
      run: (d, data) => resource.read({ state: note('x') }, data, d),
      result: null,
      diagnostics: [['Cannot read note', 'said: read refused', '']],
    },
    {
      name: 'a read answered without the client needs none',
      data: {},
      run: (d, data) => resource.read({ state: note('offline') }, data, d),
      result: note('offline'),
      diagnostics: [],
    },
    {
      name: 'update failure',
      data: { client: clientFailing('update') },
      run: (d, data) => resource.update({ plan: note('y'), prior: note('x'), config: note('y') }, data, d),
      result: null,
      diagnostics: [['Cannot update note', 'said: update refused', '']],
    },
    {
      name: 'delete failure',
      data: { client: clientFailing('delete') },
      run: (d, data) => resource.delete({ prior: note('x') }, data, d),
      result: undefined,
      diagnostics: [['Cannot delete note', 'said: delete refused', '']],
    },
    {
      name: 'import needs no client',
      data: {},
      run: (d, data) => resource.importState('n1', data, d),
      result: note('n1'),
      diagnostics: [],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const diagnostics = new Diagnostics();
      expect(await c.run(diagnostics, c.data)).to.deep.equal(c.result);
      expect(summarize(diagnostics)).to.deep.equal(c.diagnostics);
    });
  }

  it('a resource whose changes only concern the state records them without a client', async () => {
    class Recorded extends NoteResource {
      recordUpdate({ plan }: { plan: ObjectValue }) {
        return plan;
      }
    }
    const diagnostics = new Diagnostics();
    const recorded = clientResource(new Recorded(), binding);
    expect(await recorded.update({ plan: note('y'), prior: note('x'), config: note('y') }, {}, diagnostics)).to.deep.equal(note('y'));
    expect(diagnostics.items).to.deep.equal([]);
  });

  it('refuses a resource that can neither update in place nor record an update', () => {
    class Frozen extends NoteResource {
      override readonly operations: ClientResource<Client, Data>['operations'] = { create: { summary: 'c' }, read: { summary: 'r' }, delete: { summary: 'd' } };
    }
    expect(() => clientResource(new Frozen(), binding)).to.throw(/test_note needs recordUpdate/);
  });

  it('a data source gets the same treatment', async () => {
    const dataSource = clientDataSource(
      {
        metadata: () => ({ typeName: 'test_notes' }),
        schema: () => schema,
        operations: { read: { summary: 'Cannot list notes' } },
        read: async (_request: { config: ObjectValue }, client: Client) => note(client('list')),
      },
      binding,
    );
    const diagnostics = new Diagnostics();
    expect(await dataSource.read({ config: note('') }, { client: clientFailing('list') }, diagnostics)).to.equal(null);
    expect(summarize(diagnostics)).to.deep.equal([['Cannot list notes', 'said: list refused', '']]);
  });
});
