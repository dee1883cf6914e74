/**
 * A thin wrapper over the HCL parser, shared by ACL policies and the server config file.
 *
 * Library choice: `js-hcl-parser` is hashicorp/hcl v1 — the same parser Vault itself uses for
 * policies and config — compiled to JavaScript with GopherJS. It runs synchronously, offline,
 * with no dependencies, and accepts exactly Vault's dialect: one-line blocks with several
 * attributes (`listener "tcp" { address = "…" tls_disable = true }`), legacy `policy = "write"`,
 * heredocs, and JSON input (a document starting with `{` is read as JSON by the same parser,
 * after a strict check: see `checkStrictJson`).
 * The HCL2 parsers (`hcl2-parser`, `@cdktf/hcl2json`) reject that one-line form, and
 * `hcl2-parser` reports some syntax errors as an empty result instead of an error.
 *
 * The library answers a JSON string (or an error string). HCL1 represents every object — a
 * block or an object-valued attribute — as a list of objects, one per occurrence, with each
 * block label as one more level of single-key objects. `readBlocks` turns that into
 * `{ labels, body }` records so callers never see the nesting.
 */
import { createRequire } from 'node:module';

/** A value read from an HCL or JSON document. */
export type HclValue = string | number | boolean | null | readonly HclValue[] | HclObject;

/** An object (a document or a block body): attribute and block names to values. */
export interface HclObject {
  readonly [key: string]: HclValue;
}

/** One occurrence of a block, with its labels in order (`path "secret/*" {…}` → labels `["secret/*"]`). */
export interface HclBlock {
  readonly labels: readonly string[];
  readonly body: HclObject;
}

/** A syntax error, or a document whose shape does not fit what the caller asked for. */
export class HclError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HclError';
  }
}

interface HclLibrary {
  parse(text: string): string;
}

const requireCommonJs = createRequire(import.meta.url);
let library: HclLibrary | undefined;

function loadLibrary(): HclLibrary {
  // Loaded on first use: the GopherJS bundle takes ~100 ms to evaluate.
  library ??= requireCommonJs('js-hcl-parser') as HclLibrary;
  return library;
}

/** Longest syntax-error text passed on; the library may quote a token from the input. */
const MAX_REASON_CHARS = 160;

/**
 * Parses an HCL (v1, Vault's dialect) or JSON document into plain, deeply frozen objects.
 * Throws `HclError` with the parser's position and reason (never the whole input).
 */
/** Deepest block/list nesting accepted; real policies and configs use a handful of levels. */
const MAX_NESTING = 32;

/** Refuses pathological nesting before the parser sees it (the parser's cost grows steeply with depth). */
function checkNesting(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (++depth > MAX_NESTING) throw new HclError(`nesting deeper than ${MAX_NESTING} levels`);
    } else if (c === '}' || c === ']') depth--;
  }
}

export function parseHcl(text: string): HclObject {
  checkNesting(text);
  if (text.trimStart().startsWith('{')) checkStrictJson(text);
  const out = loadLibrary().parse(text);
  if (!out.startsWith('{')) {
    // The wrapper answers "unable to parse JSON: At 3:7: <reason>" for both HCL and JSON input.
    const reason = out.replace(/^unable to (parse|print) JSON: /, '');
    throw new HclError(reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS)}…` : reason);
  }
  const value = JSON.parse(out) as unknown;
  if (!isHclObject(value)) throw new HclError('document is not an object');
  return deepFreeze(value);
}

/**
 * HCL1's JSON reader is lax (it accepts truncated documents and trailing text), so JSON is first
 * checked with the strict built-in parser. Its message may quote the input, so only the
 * position is passed on.
 */
function checkStrictJson(text: string): void {
  try {
    JSON.parse(text);
  } catch (err) {
    const position = /at position (\d+)/.exec(String(err))?.[1];
    throw new HclError(position === undefined ? 'invalid JSON' : `invalid JSON at position ${position}`);
  }
}

/**
 * Every occurrence of the block `name` in `body`, in source order, each with exactly
 * `labelCount` labels. A missing block gives `[]`. Throws `HclError` when `name` is an
 * attribute rather than a block, or a block has the wrong number of labels.
 */
export function readBlocks(body: HclObject, name: string, labelCount: number): HclBlock[] {
  if (!Object.hasOwn(body, name)) return [];
  const out: HclBlock[] = [];
  collectBlocks(body[name] as HclValue, labelCount, [], name, out);
  return out;
}

function collectBlocks(value: HclValue, labelsLeft: number, labels: string[], name: string, out: HclBlock[]): void {
  const objects = asObjectList(value);
  if (objects === undefined) {
    throw new HclError(labels.length === 0 ? `${name} must be a block` : `${describe(name, labels)} must be a block`);
  }
  for (const object of objects) {
    if (labelsLeft === 0) {
      out.push({ labels, body: object });
      continue;
    }
    const keys = Object.keys(object);
    if (keys.length === 0) throw new HclError(`${describe(name, labels)} block needs ${labelsLeft === 1 ? 'a label' : 'more labels'}`);
    for (const key of keys) collectBlocks(object[key] as HclValue, labelsLeft - 1, [...labels, key], name, out);
  }
}

function describe(name: string, labels: readonly string[]): string {
  return [name, ...labels.map((l) => JSON.stringify(l.length > 80 ? `${l.slice(0, 80)}…` : l))].join(' ');
}

/** HCL1 gives blocks as lists of objects; JSON input may give one bare object. */
function asObjectList(value: HclValue): readonly HclObject[] | undefined {
  if (isHclObject(value)) return [value];
  if (Array.isArray(value) && value.length > 0 && value.every(isHclObject)) return value as readonly HclObject[];
  return undefined;
}

/** True for a plain object value (not an array, not null). */
export function isHclObject(value: unknown): value is HclObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when the value is a list of objects, i.e. a block or object attribute rather than a plain value. */
export function isHclBlockValue(value: HclValue): boolean {
  return asObjectList(value) !== undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
