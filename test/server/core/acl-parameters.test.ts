import { expect } from 'chai';
import { Acl, type AclOperation } from '../../../server/core/acl.js';
import { mergeConstraints, parametersAllowed } from '../../../server/core/acl-parameters.js';
import { parsePolicy } from '../../../server/core/policy.js';

async function aclOf(...stanzas: string[]): Promise<Acl> {
  return Acl.fromPolicies(await Promise.all(stanzas.map((text, i) => parsePolicy(`p${i}`, text))));
}

function stanza(body: string): string {
  return `path "secret/x" {\n capabilities = ["create", "read", "update", "patch", "delete", "list"]\n ${body}\n}`;
}

type Case = readonly [string, Record<string, unknown>, boolean];

/** Vault's parameter-constraint examples (Policies documentation), as request bodies and outcomes. */
const TABLE: readonly (readonly [string, readonly Case[]])[] = [
  [
    'allowed_parameters = { "foo" = [] }',
    [
      ['no parameters at all', {}, true],
      ['foo with any value', { foo: 'anything' }, true],
      ['another parameter', { bar: 'x' }, false],
      ['foo and another parameter', { foo: 'x', bar: 'y' }, false],
      ['foo in another case', { FOO: 'x' }, true],
    ],
  ],
  [
    'allowed_parameters = { "foo" = ["zip", "zap"] }',
    [
      ['a listed value', { foo: 'zip' }, true],
      ['an unlisted value', { foo: 'zop' }, false],
      ['a list of listed values', { foo: ['zip', 'zap'] }, true],
      ['a list with an unlisted value', { foo: ['zip', 'zop'] }, false],
      ['a comma-separated string of listed values', { foo: 'zip,zap' }, true],
      ['a comma-separated string with an unlisted value', { foo: 'zip,zop' }, false],
    ],
  ],
  [
    'allowed_parameters = { "*" = [] "foo" = ["bar"] }',
    [
      ['any other parameter', { other: 'x' }, true],
      ['foo with its value', { foo: 'bar', other: 'x' }, true],
      ['foo with another value', { foo: 'baz' }, false],
    ],
  ],
  ['allowed_parameters = { "*" = [] }', [['anything', { a: 1, b: [2] }, true]]],
  [
    'allowed_parameters = { "foo" = ["zip*", "*zap", "*mid*"] }',
    [
      ['a prefix glob', { foo: 'zipper' }, true],
      ['a suffix glob', { foo: 'kazap' }, true],
      ['a contains glob', { foo: 'amidst' }, true],
      ['no glob matches', { foo: 'zoo' }, false],
    ],
  ],
  [
    'allowed_parameters = { "n" = [1, true] }',
    [
      ['a listed number', { n: 1 }, true],
      ['a listed boolean', { n: true }, true],
      ['an unlisted number', { n: 2 }, false],
      ['the number as a string', { n: '1' }, false],
    ],
  ],
  [
    'denied_parameters = { "bar" = [] }',
    [
      ['bar with any value', { bar: 'x' }, false],
      ['other parameters', { foo: 'x' }, true],
      ['no parameters', {}, true],
    ],
  ],
  [
    'denied_parameters = { "*" = [] }',
    [
      ['any parameter', { foo: 'x' }, false],
      ['no parameters', {}, true],
    ],
  ],
  [
    'denied_parameters = { "bar" = ["zip", "zap*"] }',
    [
      ['a denied value', { bar: 'zip' }, false],
      ['a denied glob', { bar: 'zapper' }, false],
      ['another value', { bar: 'zop' }, true],
      ['a list holding a denied value', { bar: ['ok', 'zip'] }, false],
      ['a comma-separated string holding a denied value', { bar: 'ok,zip' }, false],
    ],
  ],
  [
    'required_parameters = ["bar", "baz"]',
    [
      ['both', { bar: 1, baz: 2 }, true],
      ['one missing', { bar: 1 }, false],
      ['none', {}, false],
    ],
  ],
  [
    'allowed_parameters = { "foo" = [] }\n denied_parameters = { "foo" = ["bad"] }',
    [
      ['an allowed value', { foo: 'good' }, true],
      ['a denied value wins over allowed', { foo: 'bad' }, false],
    ],
  ],
];

describe('ACL parameter constraints', () => {
  for (const [body, cases] of TABLE) {
    describe(body.replace(/\n\s*/g, ' '), () => {
      for (const [what, data, expected] of cases) {
        it(`${expected ? 'allows' : 'refuses'} ${what}`, async () => {
          const acl = await aclOf(stanza(body));
          for (const op of ['create', 'update', 'patch', 'read'] as const) expect(acl.check('secret/x', op, data).allowed, op).to.equal(expected);
        });
      }
    });
  }

  it('does not check LIST or DELETE, nor the capabilities endpoints', async () => {
    const acl = await aclOf(stanza('required_parameters = ["bar"]\n denied_parameters = { "*" = [] }'));
    for (const op of ['list', 'delete'] as AclOperation[]) expect(acl.check('secret/x', op, { foo: 1 }).allowed, op).to.equal(true);
    expect(acl.capabilities('secret/x')).to.deep.equal(['create', 'delete', 'list', 'patch', 'read', 'update']);
  });

  it('unites allowed values of stanzas for the same path from several policies', async () => {
    const acl = await aclOf(stanza('allowed_parameters = { "foo" = ["a"] }'), stanza('allowed_parameters = { "foo" = ["b"] }'));
    expect(acl.check('secret/x', 'update', { foo: 'a' }).allowed).to.equal(true);
    expect(acl.check('secret/x', 'update', { foo: 'b' }).allowed).to.equal(true);
    expect(acl.check('secret/x', 'update', { foo: 'c' }).allowed).to.equal(false);
  });

  it('lets an empty list (any value) win when merging', async () => {
    const acl = await aclOf(stanza('allowed_parameters = { "foo" = ["a"] }'), stanza('allowed_parameters = { "foo" = [] }'));
    expect(acl.check('secret/x', 'update', { foo: 'zzz' }).allowed).to.equal(true);
  });

  it('keeps a constraint when another policy grants the same path without one (as Vault does)', async () => {
    const acl = await aclOf(stanza('allowed_parameters = { "foo" = ["a"] }'), 'path "secret/x" { capabilities = ["update"] }');
    expect(acl.check('secret/x', 'update', { foo: 'b' }).allowed).to.equal(false);
  });

  it('drops constraints when a deny for the same path arrives', async () => {
    const acl = await aclOf(stanza('required_parameters = ["bar"]'), 'path "secret/x" { capabilities = ["deny"] }');
    expect(acl.check('secret/x', 'update', { bar: 1 }).allowed).to.equal(false);
  });

  it('merges constraint tables by their documented rules', () => {
    expect(
      mergeConstraints({ allowed: { a: ['1'] }, required: ['x'] }, { allowed: { a: ['2'], b: [] }, required: ['x', 'y'], denied: { c: [] } }),
    ).to.deep.equal({
      allowed: { a: ['2', '1'], b: [] },
      denied: { c: [] },
      required: ['x', 'y'],
    });
    expect(parametersAllowed({}, { anything: 1 })).to.equal(true);
  });
});
