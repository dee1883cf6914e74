/**
 * Parameter constraints of a policy path stanza (`allowed_parameters`, `denied_parameters`,
 * `required_parameters`) with Vault's semantics: how stanzas for the same path merge, and whether
 * a request's parameters pass. Checked for read, create, update and patch only, never for LIST or
 * DELETE, and never by the capabilities endpoints (as in Vault).
 */
import { isDeepStrictEqual } from 'node:util';

/** Parameter names (lower-cased) to permitted or forbidden values; an empty list means any value. */
export type ParameterValues = Readonly<Record<string, readonly unknown[]>>;

export interface ParameterConstraints {
  readonly allowed?: ParameterValues;
  readonly denied?: ParameterValues;
  /** Names that must be present, as written in the policy. */
  readonly required?: readonly string[];
}

/** True when no constraint is set. */
export function hasNoConstraints(c: ParameterConstraints): boolean {
  return c.allowed === undefined && c.denied === undefined && (c.required === undefined || c.required.length === 0);
}

/**
 * Merges the constraints of two stanzas for the same path (Vault's rules): value lists for the same
 * name are concatenated, except that an empty list (any value) on either side stays empty; required
 * names are united. A side without `allowed`/`denied` does not lift the other side's constraint.
 */
export function mergeConstraints(a: ParameterConstraints, b: ParameterConstraints): ParameterConstraints {
  const allowed = mergeValues(a.allowed, b.allowed);
  const denied = mergeValues(a.denied, b.denied);
  const required = [...new Set([...(a.required ?? []), ...(b.required ?? [])])];
  return {
    ...(allowed === undefined ? {} : { allowed }),
    ...(denied === undefined ? {} : { denied }),
    ...(required.length === 0 ? {} : { required }),
  };
}

function mergeValues(a: ParameterValues | undefined, b: ParameterValues | undefined): ParameterValues | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const out: Record<string, readonly unknown[]> = { ...a };
  for (const [name, values] of Object.entries(b)) {
    const existing = Object.hasOwn(out, name) ? out[name] : undefined;
    if (values.length === 0 || (existing !== undefined && existing.length === 0)) out[name] = [];
    else out[name] = [...values, ...(existing ?? [])];
  }
  return out;
}

/** Whether a request's parameters (`data`) satisfy the constraints. */
export function parametersAllowed(c: ParameterConstraints, data: Readonly<Record<string, unknown>>): boolean {
  const present = new Set(Object.keys(data).map((k) => k.toLowerCase()));
  for (const name of c.required ?? []) if (!present.has(name.toLowerCase())) return false;
  const entries = Object.entries(data);
  if (entries.length === 0) return true;

  if (c.denied !== undefined) {
    if (Object.hasOwn(c.denied, '*')) return false;
    for (const [name, value] of entries) {
      const values = valuesFor(c.denied, name);
      if (values !== undefined && valueIsDenied(value, values)) return false;
    }
  }

  if (c.allowed === undefined) return true;
  const allowsAll = Object.hasOwn(c.allowed, '*');
  if (allowsAll && Object.keys(c.allowed).length === 1) return true;
  for (const [name, value] of entries) {
    const values = valuesFor(c.allowed, name);
    if (values === undefined) {
      if (!allowsAll) return false;
    } else if (!valueIsAllowed(value, values)) return false;
  }
  return true;
}

function valuesFor(table: ParameterValues, name: string): readonly unknown[] | undefined {
  const key = name.toLowerCase();
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Allowed: the whole value is listed, or every item of it (a list, or a comma-separated string) is. */
function valueIsAllowed(value: unknown, values: readonly unknown[]): boolean {
  if (values.length === 0 || isListed(value, values)) return true;
  const items = itemsOf(value);
  return items !== undefined && items.every((item) => isListed(item, values));
}

/** Denied: the whole value is listed, or any item of it is. */
function valueIsDenied(value: unknown, values: readonly unknown[]): boolean {
  if (values.length === 0 || isListed(value, values)) return true;
  const items = itemsOf(value);
  return items !== undefined && items.some((item) => isListed(item, values));
}

function itemsOf(value: unknown): readonly unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return value.split(',').map((s) => s.trim());
  return undefined;
}

function isListed(value: unknown, values: readonly unknown[]): boolean {
  return values.some((listed) => {
    if (listed === null || value === null || listed === undefined || value === undefined) return listed === value;
    if (typeof listed === 'string' && typeof value === 'string') return globMatches(listed, value);
    return isDeepStrictEqual(listed, value);
  });
}

/** Vault's value globs: `*x` (suffix), `x*` (prefix), `*x*` (contains), else equality. */
function globMatches(pattern: string, value: string): boolean {
  if (pattern.length < 2) return pattern === value;
  const leading = pattern.startsWith('*');
  const trailing = pattern.endsWith('*');
  if (leading && trailing) return value.includes(pattern.slice(1, -1));
  if (leading) return value.endsWith(pattern.slice(1));
  if (trailing) return value.startsWith(pattern.slice(0, -1));
  return value === pattern;
}
