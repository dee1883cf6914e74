import { expect } from 'chai';
import fc from 'fast-check';
import { Acl, aclPathOf, type AclOperation } from '../../../server/core/acl.js';
import { DEFAULT_POLICY_TEXT, ROOT_POLICY, parsePolicy, type Capability, type Policy } from '../../../server/core/policy.js';

const OPERATIONS: readonly AclOperation[] = ['create', 'read', 'update', 'delete', 'list', 'patch'];

async function aclOf(...texts: string[]): Promise<Acl> {
  return Acl.fromPolicies(await Promise.all(texts.map((text, i) => parsePolicy(`p${i}`, text))));
}

function allowed(acl: Acl, path: string, operation: AclOperation): boolean {
  return acl.check(path, operation).allowed;
}

describe('Acl', () => {
  it('denies everything by default', async () => {
    const acl = Acl.fromPolicies([]);
    expect(acl.isRoot).to.equal(false);
    for (const op of OPERATIONS) expect(acl.check('secret/foo', op)).to.deep.equal({ allowed: false, sudo: false });
    expect(acl.capabilities('secret/foo')).to.deep.equal(['deny']);
  });

  it('lets the root policy allow everything, with sudo', async () => {
    const acl = Acl.fromPolicies([ROOT_POLICY, await parsePolicy('other', 'path "*" { capabilities = ["deny"] }')]);
    expect(acl.isRoot).to.equal(true);
    expect(acl.check('sys/seal', 'update')).to.deep.equal({ allowed: true, sudo: true });
    expect(acl.capabilities('anything')).to.deep.equal(['root']);
  });

  describe("matching (examples from Vault's policy documentation)", () => {
    it('matches an exact path only exactly', async () => {
      const acl = await aclOf('path "secret/foo" { capabilities = ["read"] }');
      expect(allowed(acl, 'secret/foo', 'read')).to.equal(true);
      expect(allowed(acl, 'secret/food', 'read')).to.equal(false);
      expect(allowed(acl, 'secret/foo/bar', 'read')).to.equal(false);
      expect(allowed(acl, 'secret/foo', 'update')).to.equal(false);
    });

    it('matches a glob as a string prefix', async () => {
      const acl = await aclOf('path "secret/bar/*" { capabilities = ["read"] }\npath "secret/zip-*" { capabilities = ["read"] }');
      expect(allowed(acl, 'secret/bar/zip', 'read')).to.equal(true);
      expect(allowed(acl, 'secret/bar/zip/zap', 'read')).to.equal(true);
      expect(allowed(acl, 'secret/bars/zip', 'read')).to.equal(false);
      expect(allowed(acl, 'secret/zip-zap', 'read')).to.equal(true);
      expect(allowed(acl, 'secret/zip-zap/zong', 'read')).to.equal(true);
      expect(allowed(acl, 'secret/zip/zap', 'read')).to.equal(false);
    });

    it('matches "+" as exactly one segment', async () => {
      const acl = await aclOf('path "secret/+/teamb" { capabilities = ["read"] }\npath "secret/+/+/teamb" { capabilities = ["update"] }');
      expect(allowed(acl, 'secret/foo/teamb', 'read')).to.equal(true);
      expect(allowed(acl, 'secret/bar/teamb', 'read')).to.equal(true);
      expect(allowed(acl, 'secret/foo/bar/teamb', 'read')).to.equal(false);
      expect(allowed(acl, 'secret/foo/bar/teamb', 'update')).to.equal(true);
      expect(allowed(acl, 'secret/teamb', 'read')).to.equal(false);
      expect(allowed(acl, 'secret/foo/teamb/x', 'read')).to.equal(false);
    });

    it('matches "+" followed by a trailing glob', async () => {
      const acl = await aclOf('path "secret/+/data/ba*" { capabilities = ["read"] }');
      expect(allowed(acl, 'secret/team/data/bar', 'read')).to.equal(true);
      expect(allowed(acl, 'secret/team/data/bar/baz', 'read')).to.equal(true);
      expect(allowed(acl, 'secret/team/data/foo', 'read')).to.equal(false);
      expect(allowed(acl, 'secret/team/data', 'read')).to.equal(false);
    });

    it('lets an exact rule beat every glob', async () => {
      const acl = await aclOf(
        'path "secret/*" { capabilities = ["read", "update"] }\npath "secret/+" { capabilities = ["update"] }\npath "secret/foo" { capabilities = ["list"] }',
      );
      expect(acl.capabilities('secret/foo')).to.deep.equal(['list']);
      expect(allowed(acl, 'secret/foo', 'read')).to.equal(false);
    });

    it("lets the longest prefix win, without inheriting the shorter prefix's grants", async () => {
      const acl = await aclOf('path "secret/*" { capabilities = ["read", "update"] }\npath "secret/team/*" { capabilities = ["list"] }');
      expect(acl.capabilities('secret/team/x')).to.deep.equal(['list']);
      expect(allowed(acl, 'secret/team/x', 'read')).to.equal(false);
      expect(allowed(acl, 'secret/other', 'read')).to.equal(true);
    });

    it('prefers "secret/*" over "secret/+/*": same first wildcard, both globs, fewer "+" wins', async () => {
      const acl = await aclOf('path "secret/*" { capabilities = ["read"] }\npath "secret/+/*" { capabilities = ["list"] }');
      expect(acl.capabilities('secret/a/b')).to.deep.equal(['read']);
    });

    describe('priority order between globs', () => {
      // Pairs [lower, higher] from the comments on Vault's priority rules.
      const pairs: readonly (readonly [string, string, string])[] = [
        ['foo/+', 'foo/a*', 'foo/ab'], // rule 1: the first wildcard comes later
        ['foo/+/bar/baz', 'foo/bar/+/baz', 'foo/bar/x/baz'], // rule 1
        ['foo/+/ba*', 'foo/+/bar', 'foo/x/bar'], // rule 2: not a glob beats a glob
        ['foo/*', 'foo/+', 'foo/x'], // rule 2: first wildcard at the same place, not a glob beats a glob
        ['foo/+/+/baz*', 'foo/+/x/baz*', 'foo/a/x/bazz'], // rule 3: fewer "+" segments
        ['foo/+/bar/b*', 'foo/+/bar/ba*', 'foo/x/bar/baz'], // rule 4: longer wins
      ];
      for (const [lower, higher, path] of pairs) {
        it(`prefers "${higher}" over "${lower}" for "${path}"`, async () => {
          for (const order of [
            [lower, higher],
            [higher, lower],
          ]) {
            const acl = await aclOf(
              `path "${order[0]}" { capabilities = ["${order[0] === higher ? 'update' : 'read'}"] }\n` +
                `path "${order[1]}" { capabilities = ["${order[1] === higher ? 'update' : 'read'}"] }`,
            );
            expect(acl.capabilities(path), `order ${order.join(', ')}`).to.deep.equal(['update']);
          }
        });
      }
    });

    it('keeps KV v2 data/, metadata/ and delete/ apart under globs', async () => {
      const acl = await aclOf(
        'path "secret/data/team/*" { capabilities = ["create", "read", "update", "delete"] }\npath "secret/metadata/team/*" { capabilities = ["list"] }',
      );
      expect(allowed(acl, 'secret/data/team/app', 'delete')).to.equal(true);
      expect(allowed(acl, 'secret/metadata/team/app', 'delete')).to.equal(false);
      expect(allowed(acl, 'secret/delete/team/app', 'update')).to.equal(false);
      expect(allowed(acl, 'secret/destroy/team/app', 'update')).to.equal(false);
      expect(allowed(acl, 'secret/data/other/app', 'read')).to.equal(false);
    });

    it('ignores leading slashes on the request path', async () => {
      const acl = await aclOf('path "/secret/foo" { capabilities = ["read"] }');
      expect(allowed(acl, '/secret/foo', 'read')).to.equal(true);
      expect(allowed(acl, '//secret/foo', 'read')).to.equal(true);
    });
  });

  describe('deny', () => {
    it("denies one path under a broad grant (the documentation's super-secret example)", async () => {
      const acl = await aclOf(
        'path "secret/*" { capabilities = ["create", "read", "update", "patch", "delete", "list"] }\npath "secret/super-secret" { capabilities = ["deny"] }',
      );
      expect(acl.check('secret/super-secret', 'read')).to.deep.equal({ allowed: false, sudo: false });
      expect(acl.capabilities('secret/super-secret')).to.deep.equal(['deny']);
      expect(allowed(acl, 'secret/other', 'patch')).to.equal(true);
    });

    it('overrides grants for the same pattern from other policies, in either order', async () => {
      const grant = 'path "secret/*" { capabilities = ["read", "sudo"] }';
      const deny = 'path "secret/*" { capabilities = ["deny"] }';
      for (const acl of [await aclOf(grant, deny), await aclOf(deny, grant)]) {
        expect(acl.check('secret/x', 'read')).to.deep.equal({ allowed: false, sudo: false });
        expect(acl.capabilities('secret/x')).to.deep.equal(['deny']);
      }
    });
  });

  describe('merging', () => {
    it('unites capabilities for the same pattern across policies', async () => {
      const acl = await aclOf('path "secret/*" { capabilities = ["read"] }', 'path "secret/*" { capabilities = ["list", "sudo"] }');
      expect(acl.capabilities('secret/a')).to.deep.equal(['list', 'read', 'sudo']);
      expect(acl.check('secret/a', 'read')).to.deep.equal({ allowed: true, sudo: true });
    });

    it('unites legacy and new-style stanzas for the same pattern within one policy', async () => {
      const acl = await aclOf('path "a" { policy = "read" }\npath "a" { capabilities = ["update"] }');
      expect(acl.capabilities('a')).to.deep.equal(['list', 'read', 'update']);
    });
  });

  describe('sudo', () => {
    it('reports sudo from the winning rule only', async () => {
      const acl = await aclOf('path "sys/*" { capabilities = ["read", "sudo"] }\npath "sys/mounts" { capabilities = ["read"] }');
      expect(acl.check('sys/audit', 'read')).to.deep.equal({ allowed: true, sudo: true });
      expect(acl.check('sys/mounts', 'read')).to.deep.equal({ allowed: true, sudo: false });
    });
  });

  describe('LIST and the trailing slash', () => {
    it('lists "secret/foo/" under an exact rule for "secret/foo"', async () => {
      const acl = await aclOf('path "secret/foo" { capabilities = ["list"] }');
      expect(allowed(acl, 'secret/foo/', 'list')).to.equal(true);
      // Only LIST falls back: a read of "secret/foo/" is a different path.
      expect(allowed(acl, 'secret/foo/', 'read')).to.equal(false);
    });

    it('uses an exact rule for the path with its slash first, for a LIST with or without the slash', async () => {
      const acl = await aclOf('path "secret/foo" { capabilities = ["list"] }\npath "secret/foo/" { capabilities = ["deny"] }');
      expect(allowed(acl, 'secret/foo/', 'list')).to.equal(false);
      // A LIST of "secret/foo" is a LIST of "secret/foo/".
      expect(allowed(acl, 'secret/foo', 'list')).to.equal(false);
    });

    it('matches globs against the path with its slash first, so a narrower deny glob applies', async () => {
      const acl = await aclOf('path "secret/fo*" { capabilities = ["list"] }\npath "secret/foo/*" { capabilities = ["deny"] }');
      expect(allowed(acl, 'secret/foo/', 'list')).to.equal(false);
      expect(allowed(acl, 'secret/foo', 'list')).to.equal(false);
      expect(allowed(acl, 'secret/foo/bar', 'read')).to.equal(false);
      expect(allowed(acl, 'secret/foo/bar/', 'list')).to.equal(false);
      expect(allowed(acl, 'secret/fox/', 'list')).to.equal(true);
    });

    it('falls back to globs for the path without its slash only when none matches the path itself', async () => {
      const acl = await aclOf('path "secret/+" { capabilities = ["list"] }');
      // "secret/foo/" has three segments, so "secret/+" only matches "secret/foo".
      expect(allowed(acl, 'secret/foo', 'list')).to.equal(true);
      expect(allowed(acl, 'secret/foo/', 'list')).to.equal(true);
    });

    it('denies LIST of "secret/foo/" under a deny on "secret/foo*"', async () => {
      const acl = await aclOf('path "secret/*" { capabilities = ["list"] }\npath "secret/foo*" { capabilities = ["deny"] }');
      expect(allowed(acl, 'secret/foo/', 'list')).to.equal(false);
      expect(allowed(acl, 'secret/', 'list')).to.equal(true);
    });
  });

  describe('aclPathOf', () => {
    it('adds one trailing slash to a LIST path, and strips leading slashes', () => {
      expect(aclPathOf('secret/foo', 'list')).to.equal('secret/foo/');
      expect(aclPathOf('secret/foo/', 'list')).to.equal('secret/foo/');
      expect(aclPathOf('//secret/foo', 'list')).to.equal('secret/foo/');
      expect(aclPathOf('', 'list')).to.equal('');
    });

    it('leaves other operations on the path as sent, less leading slashes', () => {
      for (const op of ['create', 'read', 'update', 'delete', 'patch'] as const) {
        expect(aclPathOf('secret/foo', op)).to.equal('secret/foo');
        expect(aclPathOf('/secret/foo/', op)).to.equal('secret/foo/');
      }
    });
  });

  it('gives the default policy what a token needs for itself, and nothing else', async () => {
    const acl = await aclOf(DEFAULT_POLICY_TEXT);
    expect(allowed(acl, 'auth/token/lookup-self', 'read')).to.equal(true);
    expect(allowed(acl, 'auth/token/renew-self', 'update')).to.equal(true);
    expect(allowed(acl, 'sys/capabilities-self', 'update')).to.equal(true);
    expect(allowed(acl, 'cubbyhole/mine', 'create')).to.equal(true);
    expect(allowed(acl, 'sys/wrapping/unwrap', 'update')).to.equal(true);
    expect(allowed(acl, 'auth/token/lookup', 'update')).to.equal(false);
    expect(allowed(acl, 'secret/anything', 'read')).to.equal(false);
    expect(allowed(acl, 'sys/policies/acl/default', 'update')).to.equal(false);
  });

  describe('properties', () => {
    const segment = fc.constantFrom('a', 'b', 'ab', 'team');
    const pathArb = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
    const patternArb = fc
      .tuple(fc.array(fc.oneof(segment, fc.constant('+')), { minLength: 1, maxLength: 4 }), fc.constantFrom('', '*', '/*'))
      .map(([parts, tail]) => parts.join('/') + tail)
      .filter((p) => !p.includes('+*'));
    const capsArb = fc.subarray<Capability>(['create', 'read', 'update', 'delete', 'list', 'sudo', 'patch', 'deny']);
    const policyTextArb = fc
      .array(fc.tuple(patternArb, capsArb), { maxLength: 5 })
      .map((rules) => rules.map(([p, caps]) => `path "${p}" { capabilities = ${JSON.stringify(caps)} }`).join('\n'));
    const policiesArb = fc.array(policyTextArb, { maxLength: 4 });
    const opArb = fc.constantFrom(...OPERATIONS);

    async function build(texts: readonly string[]): Promise<Policy[]> {
      return Promise.all(texts.map((t, i) => parsePolicy(`p${i}`, t === '' ? '# empty' : t)));
    }

    it('root allows every operation on every path', async () => {
      await fc.assert(
        fc.asyncProperty(policiesArb, pathArb, opArb, async (texts, path, op) => {
          const acl = Acl.fromPolicies([...(await build(texts)), ROOT_POLICY]);
          expect(acl.check(path, op)).to.deep.equal({ allowed: true, sudo: true });
        }),
        { numRuns: 100 },
      );
    });

    it('an exact deny on a path wins over anything any policy grants', async () => {
      await fc.assert(
        fc.asyncProperty(policiesArb, pathArb, opArb, async (texts, path, op) => {
          const denial = await parsePolicy('denial', `path "${path}" { capabilities = ["deny"] }`);
          const policies = await build(texts);
          for (const acl of [Acl.fromPolicies([...policies, denial]), Acl.fromPolicies([denial, ...policies])]) {
            expect(acl.check(path, op)).to.deep.equal({ allowed: false, sudo: false });
            expect(acl.capabilities(path)).to.deep.equal(['deny']);
          }
        }),
        { numRuns: 200 },
      );
    });

    it('decisions do not depend on the order of policies', async () => {
      await fc.assert(
        fc.asyncProperty(policiesArb, pathArb, opArb, async (texts, path, op) => {
          const policies = await build(texts);
          const forward = Acl.fromPolicies(policies);
          const backward = Acl.fromPolicies([...policies].reverse());
          expect(backward.check(path, op)).to.deep.equal(forward.check(path, op));
          expect(backward.capabilities(path)).to.deep.equal(forward.capabilities(path));
        }),
        { numRuns: 200 },
      );
    });

    it('capabilities report exactly the operations check allows, and sudo from a governing rule', async () => {
      await fc.assert(
        fc.asyncProperty(policiesArb, pathArb, async (texts, path) => {
          const acl = Acl.fromPolicies(await build(texts));
          const caps: readonly string[] = acl.capabilities(path);
          for (const op of OPERATIONS) {
            expect(acl.check(path, op).allowed).to.equal(caps.includes(op));
            if (acl.check(path, op).sudo) expect(caps).to.include('sudo');
          }
          if (caps.includes('sudo')) expect(OPERATIONS.some((op) => acl.check(path, op).sudo)).to.equal(true);
        }),
        { numRuns: 300 },
      );
    });

    it('a path outside every rule is denied', async () => {
      await fc.assert(
        fc.asyncProperty(policiesArb, opArb, async (texts, op) => {
          const policies = await build(texts);
          // Every generated pattern starts with a segment from the alphabet or with "+"; "zzz" is in
          // no pattern's reach unless one starts with "+".
          const reachable = policies.some((p) => p.rules.some((r) => r.pattern.startsWith('+')));
          fc.pre(!reachable);
          expect(Acl.fromPolicies(policies).check('zzz/q', op).allowed).to.equal(false);
          expect(Acl.fromPolicies(policies).capabilities('zzz/q')).to.deep.equal(['deny']);
        }),
        { numRuns: 100 },
      );
    });
  });
});
