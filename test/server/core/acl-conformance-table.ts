/**
 * The path-matching part of the ACL conformance table (`acl-conformance.test.ts`): exact paths,
 * globs, `+`, priority, deny, merging, LIST normalisation, patch, legacy stanzas and KV v2 paths.
 */
import type { AclOperation } from '../../../server/core/acl.js';

export type Op = AclOperation;
/** `[operation, request path, allowed]`, or with the capabilities `sys/capabilities-self` reports. */
export type Case = readonly [Op, string, boolean] | readonly [Op, string, boolean, readonly string[]];

export interface Group {
  readonly name: string;
  /** Policy documents; the literal `root` stands for the root policy. */
  readonly policies: readonly string[];
  readonly cases: readonly Case[];
}

export const MATCHING_GROUPS: readonly Group[] = [
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
];
