/**
 * ACL conformance with Vault's policy rules, as a table. Each group is a set of policies (from
 * Vault's "Policies" documentation and OpenBao's ACL tests, written afresh); each case is an
 * operation on a request path and the expected decision, checked through the same pieces the
 * core uses: `Acl.check` for the capability, and the backend's root-protected (sudo) path list
 * matched on `aclPathOf`. A case may also pin what `sys/capabilities-self` reports.
 */
import { expect } from 'chai';
import { Acl, aclPathOf } from '../../../server/core/acl.js';
import { matchesPathGlob } from '../../../server/core/logical-backend.js';
import { DEFAULT_POLICY_TEXT, ROOT_POLICY, parsePolicy, type Policy } from '../../../server/core/policy.js';
import { SYS_SUDO } from '../../../server/backends/sys/system-backend.js';
import { TOKEN_SUDO } from '../../../server/backends/token/token-backend.js';
import { MATCHING_GROUPS, type Group, type Op } from './acl-conformance-table.js';

const GROUPS: readonly Group[] = [
  ...MATCHING_GROUPS,
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
  return Promise.all(texts.map((text, i) => (text === 'root' ? Promise.resolve(ROOT_POLICY) : parsePolicy(`p${i}`, text))));
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
