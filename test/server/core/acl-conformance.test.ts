/**
 * ACL conformance with Vault's policy rules, as a table. Each group is a set of policies (from
 * Vault's "Policies" documentation and OpenBao's ACL tests, written afresh); each case is an
 * operation on a request path and the expected decision, checked through the same pieces the
 * core uses: `Acl.check` for the capability, and the backend's root-protected (sudo) path list
 * matched on `aclPathOf`. A case may also pin what `sys/capabilities-self` reports.
 */
import { expect } from 'chai';
import { Acl, aclPathOf, type AclOperation } from '../../../server/core/acl.js';
import { matchesPathGlob } from '../../../server/core/logical-backend.js';
import { DEFAULT_POLICY_TEXT, ROOT_POLICY, parsePolicy, type Policy } from '../../../server/core/policy.js';
import { SYS_SUDO } from '../../../server/backends/sys/system-backend.js';
import { TOKEN_SUDO } from '../../../server/backends/token/token-backend.js';

type Op = AclOperation;
/** `[operation, request path, allowed]`, or with the capabilities `sys/capabilities-self` reports. */
type Case = readonly [Op, string, boolean] | readonly [Op, string, boolean, readonly string[]];

interface Group {
  readonly name: string;
  /** Policy documents; the literal `root` stands for the root policy. */
  readonly policies: readonly string[];
  readonly cases: readonly Case[];
}

const GROUPS: readonly Group[] = [
  {
    name: 'exact paths',
    policies: ['path "secret/foo" { capabilities = ["read"] }'],
    cases: [
      ['read', 'secret/foo', true, ['read']],
      ['read', '/secret/foo', true],
      ['update', 'secret/foo', false],
      ['create', 'secret/foo', false],
      ['delete', 'secret/foo', false],
      ['patch', 'secret/foo', false],
      ['read', 'secret/foo/', false],
      ['read', 'secret/foobar', false, ['deny']],
      ['read', 'secret/fo', false],
      ['read', 'secret', false],
      ['read', 'secret/foo/bar', false],
    ],
  },
  {
    name: 'a "*" glob is a string prefix, only at the end',
    policies: ['path "secret/*" { capabilities = ["create", "read", "update", "delete", "list"] }'],
    cases: [
      ['read', 'secret/foo', true, ['create', 'delete', 'list', 'read', 'update']],
      ['create', 'secret/a/b/c/d', true],
      ['delete', 'secret/x', true],
      ['list', 'secret/', true],
      ['list', 'secret', true],
      ['list', 'secret/a/b', true],
      ['read', 'secret', false],
      ['read', 'secretx', false],
      ['patch', 'secret/foo', false],
      ['read', 'other/foo', false],
    ],
  },
  {
    name: 'a glob in the middle of a segment',
    policies: ['path "secret/fo*" { capabilities = ["read", "list"] }'],
    cases: [
      ['read', 'secret/fo', true],
      ['read', 'secret/foo', true],
      ['read', 'secret/foobar/baz', true],
      ['list', 'secret/foo', true],
      ['read', 'secret/f', false],
      ['read', 'secret/bar', false],
    ],
  },
  {
    name: '"+" matches exactly one segment (the documentation\'s teamb examples)',
    policies: ['path "secret/+/teamb" { capabilities = ["read"] }\npath "secret/+/+/teamb" { capabilities = ["read", "update"] }'],
    cases: [
      ['read', 'secret/foo/teamb', true, ['read']],
      ['read', 'secret/bar/teamb', true],
      ['update', 'secret/foo/teamb', false],
      ['read', 'secret/foo/bar/teamb', true, ['read', 'update']],
      ['update', 'secret/foo/bar/teamb', true],
      ['read', 'secret/teamb', false],
      ['read', 'secret/foo/teamb/x', false],
      ['read', 'secret/a/b/c/teamb', false],
      ['read', 'secret//teamb', true],
    ],
  },
  {
    name: '"+" with a trailing glob',
    policies: ['path "secret/+/team*" { capabilities = ["read", "list"] }'],
    cases: [
      ['read', 'secret/a/team', true],
      ['read', 'secret/a/teamb', true],
      ['read', 'secret/a/teamb/config/x', true],
      ['list', 'secret/a/teamb', true],
      ['read', 'secret/a/tea', false],
      ['read', 'secret/team', false],
    ],
  },
  {
    name: 'a leading "+" segment',
    policies: ['path "+/config" { capabilities = ["read"] }'],
    cases: [
      ['read', 'kv/config', true],
      ['read', 'other/config', true],
      ['read', 'kv/a/config', false],
      ['read', 'config', false],
    ],
  },
  {
    name: 'an exact rule beats every glob',
    policies: [
      'path "secret/*" { capabilities = ["read", "update"] }\npath "secret/foo" { capabilities = ["list"] }\npath "secret/+" { capabilities = ["delete"] }',
    ],
    cases: [
      ['read', 'secret/foo', false, ['list']],
      ['list', 'secret/foo', true],
      ['delete', 'secret/bar', true, ['delete']],
      ['read', 'secret/bar', false],
      ['read', 'secret/bar/baz', true, ['read', 'update']],
    ],
  },
  {
    name: "the longest prefix wins, without the shorter prefix's grants",
    policies: ['path "secret/*" { capabilities = ["read", "list"] }\npath "secret/foo/*" { capabilities = ["update"] }'],
    cases: [
      ['read', 'secret/foo/bar', false, ['update']],
      ['update', 'secret/foo/bar', true],
      ['read', 'secret/foo', true],
      ['read', 'secret/bar', true],
      ['update', 'secret/bar', false],
      ['list', 'secret/foo', false],
      ['list', 'secret/', true],
    ],
  },
  {
    name: 'priority 1: the first wildcard or glob later wins',
    policies: [
      'path "foo/a*" { capabilities = ["read"] }\npath "foo/+" { capabilities = ["update"] }\npath "foo/bar/+/baz" { capabilities = ["delete"] }\npath "foo/+/bar/baz" { capabilities = ["create"] }',
    ],
    cases: [
      ['read', 'foo/ab', true, ['read']],
      ['update', 'foo/ab', false],
      ['update', 'foo/xy', true],
      ['delete', 'foo/bar/x/baz', true, ['delete']],
      ['create', 'foo/bar/x/baz', false],
      ['create', 'foo/zzz/bar/baz', true],
    ],
  },
  {
    name: 'priority 2: a rule without a trailing glob beats one with',
    policies: ['path "foo/+/bar" { capabilities = ["read"] }\npath "foo/+/ba*" { capabilities = ["update"] }'],
    cases: [
      ['read', 'foo/x/bar', true, ['read']],
      ['update', 'foo/x/bar', false],
      ['update', 'foo/x/baz', true, ['update']],
      ['list', 'foo/x/bar', false],
    ],
  },
  {
    name: 'priority 1 tie, then 3: "foo/*" beats "foo/+/ba*" (same position, fewer "+")',
    policies: ['path "foo/+/ba*" { capabilities = ["update"] }\npath "foo/*" { capabilities = ["list"] }'],
    cases: [
      ['update', 'foo/x/baz', false, ['list']],
      ['list', 'foo/x/baz', true],
      ['list', 'foo/x', true],
    ],
  },
  {
    name: 'priority 2: "foo/+" beats "foo/*" for one segment',
    policies: ['path "foo/+" { capabilities = ["read"] }\npath "foo/*" { capabilities = ["update"] }'],
    cases: [
      ['read', 'foo/x', true],
      ['update', 'foo/x', false],
      ['update', 'foo/x/y', true],
      ['read', 'foo/x/y', false],
    ],
  },
  {
    name: 'priority 3: fewer "+" segments win',
    policies: ['path "foo/+/x/baz*" { capabilities = ["read"] }\npath "foo/+/+/baz*" { capabilities = ["update"] }'],
    cases: [
      ['read', 'foo/a/x/bazz', true],
      ['update', 'foo/a/x/bazz', false],
      ['update', 'foo/a/y/bazz', true],
    ],
  },
  {
    name: 'priority 4: the longer pattern wins',
    policies: ['path "foo/+/bar/ba*" { capabilities = ["read"] }\npath "foo/+/bar/b*" { capabilities = ["update"] }'],
    cases: [
      ['read', 'foo/x/bar/baz', true],
      ['update', 'foo/x/bar/baz', false],
      ['update', 'foo/x/bar/bzz', true],
    ],
  },
  {
    name: 'same first glob, both prefixes: fewer "+" wins ("secret/*" over "secret/+/*")',
    policies: ['path "secret/*" { capabilities = ["read"] }\npath "secret/+/*" { capabilities = ["deny"] }'],
    cases: [
      ['read', 'secret/a/b', true],
      ['read', 'secret/a', true],
    ],
  },
  {
    name: 'deny overrides everything for its path (the super-secret example)',
    policies: [
      'path "secret/*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }\npath "secret/super-secret" { capabilities = ["deny"] }',
    ],
    cases: [
      ['read', 'secret/super-secret', false, ['deny']],
      ['update', 'secret/super-secret', false],
      ['delete', 'secret/super-secret', false],
      ['list', 'secret/super-secret', false],
      ['read', 'secret/super-secret/child', true],
      ['read', 'secret/other', true],
    ],
  },
  {
    name: 'deny with other capabilities in the same stanza is only deny',
    policies: ['path "secret/x" { capabilities = ["read", "deny", "sudo"] }'],
    cases: [
      ['read', 'secret/x', false, ['deny']],
      ['list', 'secret/x', false],
    ],
  },
  {
    name: 'multiple policies: capabilities for the same path unite',
    policies: [
      'path "secret/app" { capabilities = ["read"] }',
      'path "secret/app" { capabilities = ["update"] }\npath "secret/*" { capabilities = ["list"] }',
      'path "secret/*" { capabilities = ["read"] }',
    ],
    cases: [
      ['read', 'secret/app', true, ['read', 'update']],
      ['update', 'secret/app', true],
      ['delete', 'secret/app', false],
      ['read', 'secret/other', true, ['list', 'read']],
      ['list', 'secret/other', true],
    ],
  },
  {
    name: 'multiple policies: a deny in any policy wins for that path',
    policies: [
      'path "secret/app" { capabilities = ["read", "update"] }',
      'path "secret/app" { capabilities = ["deny"] }',
      'path "secret/app/*" { capabilities = ["read"] }',
    ],
    cases: [
      ['read', 'secret/app', false, ['deny']],
      ['update', 'secret/app', false],
      ['read', 'secret/app/x', true],
    ],
  },
  {
    name: 'multiple policies: a deny glob from one policy does not reach a narrower grant from another',
    policies: ['path "secret/*" { capabilities = ["deny"] }', 'path "secret/team/*" { capabilities = ["read", "list"] }'],
    cases: [
      ['read', 'secret/team/x', true],
      ['list', 'secret/team', true],
      ['read', 'secret/other', false],
      ['list', 'secret/', false],
    ],
  },
  {
    name: 'LIST is checked on the path with a trailing slash: a deny glob applies (issue #10)',
    policies: [
      'path "kv1/*" { capabilities = ["read", "list"] }\npath "kv1/hr/*" { capabilities = ["deny"] }\npath "kv2/metadata/*" { capabilities = ["list"] }\npath "kv2/metadata/hr/*" { capabilities = ["deny"] }',
    ],
    cases: [
      ['list', 'kv1/hr/', false, ['deny']],
      ['list', 'kv1/hr', false, ['read']],
      ['read', 'kv1/hr', true],
      ['read', 'kv1/hr/alice', false],
      ['list', 'kv1/hr/sub', false],
      ['list', 'kv1/', true],
      ['list', 'kv1', true],
      ['list', 'kv1/public', true, ['list', 'read']],
      ['list', 'kv2/metadata/hr', false, ['deny']],
      ['list', 'kv2/metadata/hr/', false],
      ['list', 'kv2/metadata/', true],
      ['list', 'kv2/metadata/public', true],
    ],
  },
  {
    name: 'LIST of "secret/foo/" falls back to an exact rule for "secret/foo"',
    policies: ['path "secret/foo" { capabilities = ["list"] }\npath "secret/bar/" { capabilities = ["list"] }'],
    cases: [
      ['list', 'secret/foo', true, ['list']],
      ['list', 'secret/foo/', true],
      ['read', 'secret/foo/', false],
      ['list', 'secret/bar', true, ['list']],
      ['list', 'secret/bar/', true],
      ['read', 'secret/bar', false],
    ],
  },
  {
    name: 'LIST falls back to globs for the path without its slash only when none matches with it',
    policies: ['path "secret/+" { capabilities = ["read", "list"] }\npath "team/+/x" { capabilities = ["list"] }'],
    cases: [
      ['list', 'secret/foo', true, ['list', 'read']],
      ['list', 'secret/foo/', true],
      ['list', 'secret/foo/bar', false],
      ['list', 'team/a/x', true],
    ],
  },
  {
    name: 'LIST: an exact rule with the slash beats the one without',
    policies: ['path "secret/foo" { capabilities = ["list"] }\npath "secret/foo/" { capabilities = ["deny"] }'],
    cases: [
      ['list', 'secret/foo', false],
      ['list', 'secret/foo/', false],
    ],
  },
  {
    name: 'patch is its own capability',
    policies: [
      'path "kv/data/a" { capabilities = ["update"] }\npath "kv/data/b" { capabilities = ["patch"] }\npath "kv/data/c" { capabilities = ["read", "update", "patch"] }',
    ],
    cases: [
      ['patch', 'kv/data/a', false, ['update']],
      ['update', 'kv/data/a', true],
      ['patch', 'kv/data/b', true, ['patch']],
      ['update', 'kv/data/b', false],
      ['create', 'kv/data/b', false],
      ['patch', 'kv/data/c', true, ['patch', 'read', 'update']],
    ],
  },
  {
    name: 'legacy policy = "write" and "read"',
    policies: ['path "old/*" { policy = "write" }\npath "ro/*" { policy = "read" }'],
    cases: [
      ['update', 'old/x', true, ['create', 'delete', 'list', 'read', 'update']],
      ['patch', 'old/x', false],
      ['list', 'ro/', true],
      ['update', 'ro/x', false],
    ],
  },
  {
    name: 'KV v2 data/ and metadata/ are different paths',
    policies: ['path "secret/data/*" { capabilities = ["read"] }\npath "secret/metadata/*" { capabilities = ["list"] }'],
    cases: [
      ['read', 'secret/data/app', true],
      ['list', 'secret/data/', false],
      ['list', 'secret/metadata/', true],
      ['list', 'secret/metadata', true],
      ['read', 'secret/metadata/app', false],
      ['delete', 'secret/data/app', false],
      ['update', 'secret/delete/app', false],
    ],
  },
  {
    name: 'sudo on root-protected system paths',
    policies: [
      'path "sys/auth/*" { capabilities = ["create", "read", "update", "delete"] }\npath "sys/auth" { capabilities = ["read"] }\npath "sys/mounts/*" { capabilities = ["create", "update", "read"] }\npath "sys/remount" { capabilities = ["update"] }\npath "sys/audit*" { capabilities = ["read", "update", "list"] }\npath "sys/rotate" { capabilities = ["update"] }\npath "sys/seal" { capabilities = ["update"] }\npath "sys/leases/*" { capabilities = ["update", "list"] }\npath "sys/revoke-prefix/*" { capabilities = ["update"] }\npath "sys/raw/*" { capabilities = ["read"] }\npath "sys/policies/acl/*" { capabilities = ["update"] }',
    ],
    cases: [
      ['update', 'sys/auth/people', false],
      ['delete', 'sys/auth/people', false],
      ['read', 'sys/auth/people/tune', false],
      ['read', 'sys/auth', true],
      ['update', 'sys/mounts/kv', true],
      ['read', 'sys/mounts/kv/tune', true],
      ['update', 'sys/remount', false],
      ['read', 'sys/audit', false],
      ['update', 'sys/audit/file', false],
      ['update', 'sys/rotate', false],
      ['update', 'sys/seal', false],
      ['list', 'sys/leases/lookup', false],
      ['list', 'sys/leases/lookup/', false],
      ['list', 'sys/leases/lookup/auth/token', false],
      ['update', 'sys/leases/lookup', true],
      ['update', 'sys/leases/renew', true],
      ['update', 'sys/leases/revoke-prefix/kv', false],
      ['update', 'sys/leases/revoke-force/kv', false],
      ['update', 'sys/revoke-prefix/kv', false],
      ['read', 'sys/raw/core', false],
      ['update', 'sys/policies/acl/x', true],
    ],
  },
  {
    name: 'the same system paths with sudo',
    policies: [
      'path "sys/auth/*" { capabilities = ["create", "update", "read", "sudo"] }\npath "sys/remount" { capabilities = ["update", "sudo"] }\npath "sys/audit*" { capabilities = ["read", "update", "sudo"] }\npath "sys/seal" { capabilities = ["update", "sudo"] }\npath "sys/leases/lookup/*" { capabilities = ["list", "sudo"] }\npath "sys/leases/renew" { capabilities = ["update"] }',
    ],
    cases: [
      ['update', 'sys/auth/people', true, ['create', 'read', 'sudo', 'update']],
      ['read', 'sys/auth/people/tune', true],
      ['update', 'sys/remount', true, ['sudo', 'update']],
      ['update', 'sys/audit/file', true],
      ['read', 'sys/audit', true],
      ['update', 'sys/seal', true],
      ['list', 'sys/leases/lookup/', true],
      ['list', 'sys/leases/lookup/auth', true],
      ['list', 'sys/leases/lookup', true, ['list', 'sudo']],
      ['update', 'sys/leases/lookup', false],
    ],
  },
  {
    name: 'sudo comes from the winning rule only',
    policies: ['path "sys/*" { capabilities = ["update", "sudo"] }\npath "sys/auth/*" { capabilities = ["update"] }'],
    cases: [
      ['update', 'sys/auth/x', false, ['update']],
      ['update', 'sys/remount', true],
    ],
  },
  {
    name: 'token store: accessors* and revoke-orphan need sudo, LIST with or without the slash',
    policies: ['path "auth/token/*" { capabilities = ["create", "read", "update", "list"] }'],
    cases: [
      ['list', 'auth/token/accessors', false],
      ['list', 'auth/token/accessors/', false],
      ['update', 'auth/token/revoke-orphan', false],
      ['update', 'auth/token/create', true],
      ['update', 'auth/token/lookup', true],
    ],
  },
  {
    name: 'token store with sudo',
    policies: ['path "auth/token/accessors/" { capabilities = ["list", "sudo"] }\npath "auth/token/revoke-orphan" { capabilities = ["update", "sudo"] }'],
    cases: [
      ['list', 'auth/token/accessors', true, ['list', 'sudo']],
      ['list', 'auth/token/accessors/', true],
      ['update', 'auth/token/revoke-orphan', true],
    ],
  },
  {
    name: 'the root policy allows everything, sudo included',
    policies: ['root'],
    cases: [
      ['update', 'sys/auth/x', true, ['root']],
      ['list', 'auth/token/accessors', true],
      ['patch', 'kv/data/x', true],
      ['delete', 'anything/at/all', true],
      ['update', 'sys/seal', true],
    ],
  },
  {
    name: 'the root policy dominates a deny from another policy',
    policies: ['root', 'path "*" { capabilities = ["deny"] }'],
    cases: [
      ['read', 'secret/x', true, ['root']],
      ['list', 'secret/', true],
    ],
  },
  {
    name: 'no policies: default deny',
    policies: [],
    cases: [
      ['read', 'secret/x', false, ['deny']],
      ['list', 'secret/', false],
      ['update', 'auth/token/lookup-self', false],
    ],
  },
  {
    name: 'the default policy',
    policies: [DEFAULT_POLICY_TEXT],
    cases: [
      ['read', 'auth/token/lookup-self', true, ['read']],
      ['update', 'auth/token/renew-self', true],
      ['update', 'auth/token/revoke-self', true],
      ['update', 'sys/capabilities-self', true],
      ['update', 'sys/leases/renew', true],
      ['update', 'sys/leases/lookup', true],
      ['update', 'sys/renew', true],
      ['create', 'cubbyhole/mine', true],
      ['list', 'cubbyhole/', true],
      ['list', 'cubbyhole', true],
      ['update', 'sys/wrapping/unwrap', true],
      ['update', 'sys/wrapping/wrap', true],
      ['update', 'sys/tools/hash/sha2-256', true],
      ['update', 'auth/token/create', false],
      ['update', 'auth/token/lookup', false],
      ['read', 'secret/anything', false],
      ['update', 'sys/policies/acl/default', false],
      ['list', 'auth/token/accessors', false],
    ],
  },
  {
    name: 'a catch-all "*" under narrower rules',
    policies: ['path "*" { capabilities = ["read"] }\npath "sys/*" { capabilities = ["deny"] }'],
    cases: [
      ['read', 'secret/x', true],
      ['read', 'sys/mounts', false],
      ['list', 'secret/', false],
      ['read', '', true],
    ],
  },
];

/** Where each backend's root-protected paths apply, as the router would split the request path. */
const SUDO_SCOPES: readonly { readonly mount: string; readonly sudoPaths: readonly string[] }[] = [
  { mount: 'sys/', sudoPaths: SYS_SUDO },
  { mount: 'auth/token/', sudoPaths: TOKEN_SUDO },
];

function needsSudo(path: string, operation: Op): boolean {
  const scope = SUDO_SCOPES.find((s) => path.startsWith(s.mount));
  if (scope === undefined) return false;
  return matchesPathGlob(scope.sudoPaths, aclPathOf(path.slice(scope.mount.length), operation));
}

async function policiesOf(texts: readonly string[]): Promise<Policy[]> {
  return Promise.all(texts.map((text, i) => (text === 'root' ? ROOT_POLICY : parsePolicy(`p${i}`, text))));
}

const CASE_COUNT = GROUPS.reduce((n, g) => n + g.cases.length, 0);

describe(`ACL conformance with Vault's policy rules (${CASE_COUNT} cases)`, () => {
  it('has at least 100 cases', () => {
    expect(CASE_COUNT).to.be.at.least(100);
  });

  for (const group of GROUPS) {
    describe(group.name, () => {
      for (const [operation, path, expected, capabilities] of group.cases) {
        const verb = expected ? 'allows' : 'refuses';
        const suffix = capabilities === undefined ? '' : ` (capabilities ${JSON.stringify(capabilities)})`;
        it(`${verb} ${operation} ${JSON.stringify(path)}${suffix}`, async () => {
          const acl = Acl.fromPolicies(await policiesOf(group.policies));
          const decision = acl.check(path, operation);
          const allowed = decision.allowed && (!needsSudo(path, operation) || decision.sudo);
          expect(allowed).to.equal(expected);
          if (capabilities !== undefined) expect(acl.capabilities(path)).to.deep.equal(capabilities);
        });
      }
    });
  }
});
