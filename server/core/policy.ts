/**
 * ACL policies: Vault's HCL/JSON policy documents parsed into path rules.
 * Matching rules against request paths is `acl.ts`'s job.
 */
import type { ParameterConstraints, ParameterValues } from './acl-parameters.js';
import { HclError, isHclBlockValue, isHclObject, parseHcl, readBlocks, type HclObject, type HclValue } from './hcl.js';
import { invalidRequest, VaultError } from './vault-error.js';

export type Capability = 'create' | 'read' | 'update' | 'delete' | 'list' | 'sudo' | 'deny' | 'patch';

/** Every capability a policy may grant, in Vault's spelling. */
export const CAPABILITIES: readonly Capability[] = Object.freeze(['create', 'read', 'update', 'delete', 'list', 'sudo', 'deny', 'patch']);

/** One `path "…" { … }` stanza. */
export interface PathRule {
  /** The pattern as written, less one leading `/` (e.g. `secret/+/data/*`). */
  readonly pattern: string;
  /**
   * The key rules are merged and matched on: the pattern less its trailing `*` for a plain
   * prefix rule; the whole pattern (trailing `*` kept) for a rule with `+` segments, as Vault does.
   */
  readonly path: string;
  /** The pattern ends in `*`: it matches every path that starts with the text before it. */
  readonly isPrefix: boolean;
  /** The pattern has a `+` segment, which matches exactly one path segment. */
  readonly hasSegmentWildcards: boolean;
  /** Sorted and without duplicates; exactly `['deny']` when the stanza denies. May be empty. */
  readonly capabilities: readonly Capability[];
  /** `allowed_parameters`, `denied_parameters`, `required_parameters`; none on a deny stanza. */
  readonly parameters: ParameterConstraints;
}

/** A named, parsed policy. `text` is the document as submitted (it is what reads return). */
export interface Policy {
  readonly name: string;
  readonly text: string;
  readonly rules: readonly PathRule[];
}

export const ROOT_POLICY_NAME = 'root';
export const RESPONSE_WRAPPING_POLICY_NAME = 'response-wrapping';

/** The built-in `root` policy: no rules, and an ACL that contains it allows everything. */
export const ROOT_POLICY: Policy = Object.freeze({ name: ROOT_POLICY_NAME, text: '', rules: Object.freeze([]) });

/** The built-in `default` policy: what every token needs to manage itself. Same grants as Vault's. */
export const DEFAULT_POLICY_TEXT = `# A token may read its own properties.
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# A token may renew and revoke itself.
path "auth/token/renew-self" {
    capabilities = ["update"]
}
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# A token may ask for its own capabilities on a path.
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Lease renewal by lease_id in the body (old and new paths), and lease lookup.
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# A token owns its cubbyhole.
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Response wrapping: wrap any value, look up and unwrap a wrapping token.
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# General-purpose tools.
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}
path "sys/tools/random" {
    capabilities = ["update"]
}
path "sys/tools/random/*" {
    capabilities = ["update"]
}
`;

/** The fixed policy of response-wrapping tokens: enough to read and unwrap their one response. */
export const RESPONSE_WRAPPING_POLICY_TEXT = `path "cubbyhole/response" {
    capabilities = ["create", "read"]
}
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}
`;

const MAX_POLICY_NAME_CHARS = 128;
const POLICY_NAME_RE = /^[a-z0-9_][a-z0-9_.@:=+-]*$/;

/**
 * Normalizes a policy name as Vault does (trimmed, lower-cased) and checks it.
 * Ferry is stricter than Vault about characters so that a name is always one URL path segment
 * and one item of a comma-separated list: letters, digits and `_ . @ : = + -`.
 * Throws `invalid_request` for an empty or invalid name.
 */
export function validatePolicyName(name: string): string {
  if (typeof name !== 'string') throw invalidRequest('policy name must be a string');
  const normalized = name.trim().toLowerCase();
  if (normalized === '') throw invalidRequest('policy name must be provided');
  if (normalized.length > MAX_POLICY_NAME_CHARS) {
    throw invalidRequest(`policy name must be at most ${MAX_POLICY_NAME_CHARS} characters`);
  }
  if (!POLICY_NAME_RE.test(normalized)) {
    throw invalidRequest('policy name may contain only letters, digits and _ . @ : = + - (and must not start with a symbol other than _)');
  }
  return normalized;
}

/** Keys Vault accepts in a path stanza that Ferry does not enforce; refused rather than ignored. */
const UNSUPPORTED_RULE_KEYS: ReadonlySet<string> = new Set(['min_wrapping_ttl', 'max_wrapping_ttl', 'mfa_methods', 'control_group', 'subscribe_event_types']);

const LEGACY_POLICY_CAPABILITIES: Readonly<Record<string, readonly Capability[]>> = Object.freeze({
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
});

const CAPABILITY_SET: ReadonlySet<string> = new Set(CAPABILITIES);

/**
 * Parses a policy document (HCL or JSON, as Vault accepts). The name is normalized with
 * `validatePolicyName`; `root` cannot be defined by a document (use `ROOT_POLICY`).
 * Throws `VaultError('invalid_request', 'failed to parse policy: <reason>')`; the reason
 * names the offending stanza or key but never repeats the document.
 */
export async function parsePolicy(name: string, text: string): Promise<Policy> {
  const policyName = validatePolicyName(name);
  if (policyName === ROOT_POLICY_NAME) throw invalidRequest(`cannot update "${ROOT_POLICY_NAME}" policy`);
  if (typeof text !== 'string' || text.trim() === '') throw failed('policy document is empty');
  let rules: PathRule[];
  try {
    rules = parseRules(parseHcl(text));
  } catch (err) {
    if (err instanceof HclError) throw failed(err.message);
    throw err;
  }
  return Object.freeze({ name: policyName, text, rules: Object.freeze(rules) });
}

function failed(reason: string): VaultError {
  return invalidRequest(`failed to parse policy: ${reason}`);
}

function parseRules(document: HclObject): PathRule[] {
  for (const key of Object.keys(document)) {
    // Vault tolerates a top-level `name`; the name always comes from the API path.
    if (key !== 'path' && key !== 'name') throw new HclError(`invalid key ${quote(key)}`);
  }
  return readBlocks(document, 'path', 1).map(({ labels, body }) => parseRule(labels[0] as string, body));
}

function parseRule(label: string, body: HclObject): PathRule {
  const where = `path ${quote(label)}`;
  for (const key of Object.keys(body)) {
    if (UNSUPPORTED_RULE_KEYS.has(key)) throw new HclError(`${where}: ${key} is not supported`);
    if (!['capabilities', 'policy', 'comment', 'allowed_parameters', 'denied_parameters', 'required_parameters'].includes(key)) {
      throw new HclError(`${where}: invalid key ${quote(key)}`);
    }
  }

  const pattern = label.startsWith('/') ? label.slice(1) : label;
  if (pattern.includes('+*')) throw new HclError(`${where}: invalid use of wildcards ('+*' is forbidden)`);
  const hasSegmentWildcards = pattern === '+' || pattern.startsWith('+/') || pattern.includes('/+');
  const endsWithGlob = pattern.endsWith('*');
  const isPrefix = endsWithGlob;
  const path = endsWithGlob && !hasSegmentWildcards ? pattern.slice(0, -1) : pattern;

  const requested = [...readStrings(body, 'capabilities', where), ...legacyCapabilities(body, where)];
  const granted = new Set<Capability>();
  for (const capability of requested) {
    if (!CAPABILITY_SET.has(capability)) throw new HclError(`${where}: invalid capability ${quote(capability)}`);
    granted.add(capability as Capability);
  }
  // deny stands alone: it overrides anything else in the stanza.
  const capabilities: Capability[] = granted.has('deny') ? ['deny'] : [...granted].sort();

  const parameters = capabilities.includes('deny') ? {} : readParameters(body, where);
  return Object.freeze({ pattern, path, isPrefix, hasSegmentWildcards, capabilities: Object.freeze(capabilities), parameters });
}

/** The stanza's parameter constraints; names in the value tables are lower-cased, as in Vault. */
function readParameters(body: HclObject, where: string): ParameterConstraints {
  const allowed = readParameterValues(body, 'allowed_parameters', where);
  const denied = readParameterValues(body, 'denied_parameters', where);
  const required = readStrings(body, 'required_parameters', where);
  return Object.freeze({
    ...(allowed === undefined ? {} : { allowed }),
    ...(denied === undefined ? {} : { denied }),
    ...(required.length === 0 ? {} : { required: Object.freeze([...required]) }),
  });
}

/** `{ name = [values…] }` (HCL1 hands an object attribute over as a list of objects). */
function readParameterValues(body: HclObject, key: string, where: string): ParameterValues | undefined {
  if (!Object.hasOwn(body, key)) return undefined;
  const raw = body[key] as HclValue;
  const objects = Array.isArray(raw) ? raw : [raw];
  const out: Record<string, readonly unknown[]> = {};
  for (const object of objects) {
    if (!isHclObject(object)) throw new HclError(`${where}: ${key} must be an object of parameter names to lists of values`);
    for (const [name, values] of Object.entries(object)) {
      const list: readonly unknown[] = Array.isArray(values) ? values : [values];
      out[name.toLowerCase()] = Object.freeze([...(out[name.toLowerCase()] ?? []), ...list]);
    }
  }
  return Object.freeze(out);
}

function legacyCapabilities(body: HclObject, where: string): readonly Capability[] {
  if (!Object.hasOwn(body, 'policy')) return [];
  const value = body['policy'] as HclValue;
  if (typeof value !== 'string') throw new HclError(`${where}: policy must be a string`);
  if (value === '') return [];
  const mapped = Object.hasOwn(LEGACY_POLICY_CAPABILITIES, value) ? LEGACY_POLICY_CAPABILITIES[value] : undefined;
  if (mapped === undefined) throw new HclError(`${where}: invalid policy ${quote(value)}`);
  return mapped;
}

/** A list of strings, or one string (HCL1 decodes a lone value into a one-item list). */
function readStrings(body: HclObject, key: string, where: string): readonly string[] {
  if (!Object.hasOwn(body, key)) return [];
  const value = body[key] as HclValue;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && !isHclBlockValue(value) && value.every((v) => typeof v === 'string')) {
    return value as readonly string[];
  }
  throw new HclError(`${where}: ${key} must be a list of strings`);
}

/** Quotes a fragment of the input for an error message, cut short so a message stays small. */
function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
