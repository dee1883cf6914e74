/**
 * The ACL of a token: its policies' path rules merged into one lookup, answering "may this token
 * do this operation on this path?" with Vault's semantics. Enforcement (`check`) and the
 * capabilities endpoints (`capabilities`) both go through `check`, so they cannot disagree.
 *
 * - Default deny: a path no rule matches allows nothing.
 * - Rules for the same path (from one policy or several) merge: capabilities are united, except
 *   that `deny` anywhere for that path replaces everything.
 * - An exact rule beats every glob. Otherwise the most specific of the matching prefix (`*`) and
 *   segment-wildcard (`+`) rules wins, by Vault's priority order (see `isLowerPriority`). Only the
 *   winner counts: a broader rule's grants do not leak through a narrower one, and a broader
 *   rule's deny does not reach into a narrower grant.
 * - Every operation needs the capability of its own name; `patch` is not `update`.
 * - A LIST is checked on the path with a trailing `/` (`aclPathOf`), as Vault's request handling
 *   does, so `LIST secret/hr` and `LIST secret/hr/` both fall under `secret/hr/*`.
 * - A policy named `root` allows everything.
 */
import { hasNoConstraints, mergeConstraints, parametersAllowed, type ParameterConstraints } from './acl-parameters.js';
import { ROOT_POLICY_NAME, type Capability, type Policy } from './policy.js';

/** What a request does, as far as the ACL is concerned; each needs the capability of its name. */
export type AclOperation = 'create' | 'read' | 'update' | 'delete' | 'list' | 'patch';

/** Every operation the ACL decides, in a fixed order. */
export const ACL_OPERATIONS: readonly AclOperation[] = Object.freeze(['create', 'read', 'update', 'delete', 'list', 'patch']);

/** A capability reported for a path: a policy capability, or `root` for a root token. */
export type PathCapability = Capability | 'root';

/** The answer for one request: whether it may proceed, and whether the matching rule grants sudo. */
export interface AclDecision {
  readonly allowed: boolean;
  readonly sudo: boolean;
}

const BIT: Readonly<Record<Capability, number>> = Object.freeze({
  deny: 1,
  create: 2,
  read: 4,
  update: 8,
  delete: 16,
  list: 32,
  sudo: 64,
  patch: 128,
});
const DENY = BIT.deny;

/** What the rules for one path grant: capability bits and parameter constraints. */
interface Permission {
  readonly bits: number;
  readonly parameters: ParameterConstraints;
}

/** Operations whose request parameters are checked against the constraints (as in Vault). */
const PARAMETER_CHECKED: ReadonlySet<AclOperation> = new Set(['read', 'create', 'update', 'patch']);

/** A rule with a `+` segment, pre-split for matching. */
interface SegmentRule {
  readonly key: string;
  /** The pattern without its trailing `*`, split on `/`. */
  readonly parts: readonly string[];
  readonly isPrefix: boolean;
  /** Position of the first `+` in the pattern. */
  readonly firstWildcard: number;
  readonly wildcardCount: number;
  /** The pattern without its trailing `*`. */
  readonly text: string;
  readonly permission: Permission;
}

/** A rule that matched a path, with what ranks it against the other matches. */
interface Candidate {
  readonly firstWildcard: number;
  readonly isPrefix: boolean;
  readonly wildcardCount: number;
  readonly text: string;
  readonly permission: Permission;
}

export class Acl {
  /** True when the token holds the `root` policy: everything is allowed, with sudo. */
  readonly isRoot: boolean;
  private readonly exact: ReadonlyMap<string, Permission>;
  /** Prefix rules, longest prefix first. */
  private readonly prefixes: readonly (readonly [string, Permission])[];
  private readonly segments: readonly SegmentRule[];

  private constructor(isRoot: boolean, exact: Map<string, Permission>, prefix: Map<string, Permission>, segment: Map<string, Permission>) {
    this.isRoot = isRoot;
    this.exact = exact;
    this.prefixes = [...prefix.entries()].sort((a, b) => b[0].length - a[0].length);
    this.segments = [...segment.entries()].map(([key, permission]) => toSegmentRule(key, permission));
    Object.freeze(this);
  }

  /**
   * Builds the ACL of a token holding `policies`. A policy named `root` makes the ACL root
   * (Vault refuses `root` alongside other policies; here it simply dominates them).
   */
  static fromPolicies(policies: readonly Policy[]): Acl {
    const isRoot = policies.some((p) => p.name === ROOT_POLICY_NAME);
    const exact = new Map<string, Permission>();
    const prefix = new Map<string, Permission>();
    const segment = new Map<string, Permission>();
    for (const policy of policies) {
      for (const rule of policy.rules) {
        const table = rule.hasSegmentWildcards ? segment : rule.isPrefix ? prefix : exact;
        const permission = { bits: toBits(rule.capabilities), parameters: rule.parameters };
        const existing = table.get(rule.path);
        table.set(rule.path, existing === undefined ? permission : mergePermissions(existing, permission));
      }
    }
    return new Acl(isRoot, exact, prefix, segment);
  }

  /**
   * The capabilities this ACL grants on `path`, sorted, as `sys/capabilities-self` reports them:
   * `['root']` for a root ACL, `['deny']` when nothing is granted. Each operation is reported
   * exactly when `check` allows it on `path` (so `list` is decided on `path` with its trailing
   * `/`, like a real LIST), and `sudo` when the rule governing any operation on `path` grants it.
   */
  capabilities(path: string): PathCapability[] {
    if (this.isRoot) return ['root'];
    const granted = new Set<Capability>();
    for (const operation of ACL_OPERATIONS) {
      const decision = this.check(path, operation);
      if (decision.allowed) granted.add(operation);
      if (decision.sudo) granted.add('sudo');
    }
    if (granted.size === 0) return ['deny'];
    return [...granted].sort();
  }

  /**
   * Whether `operation` on `path` is allowed, and whether the rule governing it grants sudo.
   * `path` is the request path as received: leading slashes are ignored and a LIST is checked
   * on the path with a trailing `/`.
   */
  check(path: string, operation: AclOperation, data?: Readonly<Record<string, unknown>>): AclDecision {
    if (this.isRoot) return { allowed: true, sudo: true };
    const permission = this.governingPermission(aclPathOf(path, operation), operation);
    if (permission === undefined || (permission.bits & DENY) !== 0) return { allowed: false, sudo: false };
    const { bits, parameters } = permission;
    const sudo = (bits & BIT.sudo) !== 0;
    if ((bits & BIT[operation]) === 0) return { allowed: false, sudo };
    if (data !== undefined && PARAMETER_CHECKED.has(operation) && !parametersAllowed(parameters, data)) return { allowed: false, sudo };
    return { allowed: true, sudo };
  }

  /**
   * The permission of the rule that governs `path`, or undefined when none matches. Order:
   * the exact rule for `path`; for a LIST, the exact rule without the trailing `/` (a policy for
   * `secret/foo` lets you list `secret/foo/`); the best glob for `path`; for a LIST, the best glob
   * for the path without its trailing `/`, only when no glob matched the path itself. The
   * last step comes after the globs for the full path on purpose: trying it first (as Vault did)
   * lets `secret/*` answer for `secret/hr/` and so list the keys under a `secret/hr/*` deny
   * (OpenBao GHSA-xp3c-3jw3-4vcr).
   */
  private governingPermission(path: string, operation: AclOperation): Permission | undefined {
    const exact = this.exact.get(path);
    if (exact !== undefined) return exact;
    const isList = operation === 'list';
    const trimmed = isList && path.endsWith('/') ? path.slice(0, -1) : undefined;
    if (trimmed !== undefined) {
      const exactTrimmed = this.exact.get(trimmed);
      if (exactTrimmed !== undefined) return exactTrimmed;
    }
    const permission = this.matchNonExact(path);
    if (permission !== undefined || trimmed === undefined) return permission;
    return this.matchNonExact(trimmed);
  }

  private matchNonExact(path: string): Permission | undefined {
    const longest = this.prefixes.find(([prefix]) => path.startsWith(prefix));
    let best: Candidate | undefined =
      longest === undefined ? undefined : { firstWildcard: longest[0].length, isPrefix: true, wildcardCount: 0, text: longest[0], permission: longest[1] };
    if (this.segments.length === 0) return best?.permission;

    const pathParts = path.split('/');
    for (const rule of this.segments) {
      const candidate = matchSegmentRule(rule, pathParts);
      if (candidate !== undefined && (best === undefined || isLowerPriority(best, candidate))) best = candidate;
    }
    return best?.permission;
  }
}

function matchSegmentRule(rule: SegmentRule, pathParts: readonly string[]): Candidate | undefined {
  const { parts } = rule;
  if (pathParts.length < parts.length) return undefined;
  if (!rule.isPrefix && pathParts.length !== parts.length) return undefined;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const pathPart = pathParts[i] as string;
    if (part === '+' || part === pathPart) continue;
    // The last segment of a prefix rule matches as a string prefix (`secret/+/ba*` matches `secret/x/bar/baz`).
    if (rule.isPrefix && i === parts.length - 1 && pathPart.startsWith(part)) continue;
    return undefined;
  }
  return rule;
}

/**
 * Vault's priority order between two matching glob rules; true when `a` loses to `b`:
 * 1. the first `+` or `*` comes earlier in `a`;
 * 2. `a` ends in `*` and `b` does not;
 * 3. `a` has more `+` segments;
 * 4. `a` is shorter;
 * 5. `a` sorts first (a tie-break that should not arise in practice).
 */
function isLowerPriority(a: Candidate, b: Candidate): boolean {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard < b.firstWildcard;
  if (a.isPrefix !== b.isPrefix) return a.isPrefix;
  if (a.wildcardCount !== b.wildcardCount) return a.wildcardCount > b.wildcardCount;
  if (a.text.length !== b.text.length) return a.text.length < b.text.length;
  return a.text < b.text;
}

function toSegmentRule(key: string, permission: Permission): SegmentRule {
  const isPrefix = key.endsWith('*');
  const text = isPrefix ? key.slice(0, -1) : key;
  const parts = text.split('/');
  return {
    key,
    parts,
    isPrefix,
    firstWildcard: key.indexOf('+'),
    wildcardCount: parts.filter((p) => p === '+').length,
    text,
    permission,
  };
}

function toBits(capabilities: readonly Capability[]): number {
  let bits = 0;
  for (const capability of capabilities) bits |= BIT[capability];
  return (bits & DENY) !== 0 ? DENY : bits;
}

/**
 * Rules for the same path merge by union, and a deny on either side wins outright (dropping any
 * parameter constraints, as Vault does); parameter constraints merge by `mergeConstraints`.
 */
function mergePermissions(existing: Permission, added: Permission): Permission {
  if ((existing.bits & DENY) !== 0 || (added.bits & DENY) !== 0) return { bits: DENY, parameters: {} };
  const parameters = hasNoConstraints(added.parameters) ? existing.parameters : mergeConstraints(existing.parameters, added.parameters);
  return { bits: existing.bits | added.bits, parameters };
}

/**
 * The path an operation is checked on: without leading slashes, and for a LIST with exactly one
 * trailing `/` added when missing (Vault's HTTP layer does the same to every LIST request).
 * Also what sudo (root-protected) path lists are matched against.
 */
export function aclPathOf(path: string, operation: AclOperation): string {
  const withSlash = operation === 'list' && !path.endsWith('/') ? `${path}/` : path;
  let start = 0;
  while (withSlash.charCodeAt(start) === 47 /* '/' */) start++;
  return withSlash.slice(start);
}
