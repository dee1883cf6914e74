import { invalidRequest } from '../vault-error.js';

/** Deepest nesting of objects and arrays the audit layer walks (the HTTP layer's JSON limit too); deeper input is refused. */
export const MAX_AUDIT_JSON_DEPTH = 300;

/**
 * Throws `invalid_request` when `value` nests objects or arrays deeper than `maxDepth`.
 * Iterative on purpose: it runs before any recursive walk, so hostile input can never
 * exhaust the stack.
 */
export function assertJsonDepthWithin(value: unknown, maxDepth: number = MAX_AUDIT_JSON_DEPTH): void {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (node === null || typeof node !== 'object') continue;
    if (depth >= maxDepth) throw invalidRequest(`request or response data is nested deeper than ${maxDepth} levels`);
    const children = Array.isArray(node) ? node : Object.values(node as Record<string, unknown>);
    for (const child of children) if (child !== null && typeof child === 'object') stack.push({ node: child, depth: depth + 1 });
  }
}
