import type { CliIo } from './cli-io.js';
import { UsageError } from './usage-error.js';

/**
 * Builds a request body from `vault write`-style arguments: `key=value` (kept as a string even when
 * it looks like JSON), `key=@file` (the file's contents), `key=-` (stdin), `@file.json` (a JSON object
 * merged in) and a lone `-` (a JSON object from stdin). A key given twice becomes a list. Stdin may be
 * used once.
 */
export async function parseKeyValuePairs(args: readonly string[], io: CliIo): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  let isStdinUsed = false;
  const readStdinOnce = async (): Promise<string> => {
    if (isStdinUsed) throw new UsageError('stdin ("-") can be used only once');
    isStdinUsed = true;
    return io.readStdin();
  };
  const add = (key: string, value: unknown): void => {
    const previous = body[key];
    if (previous === undefined) body[key] = value;
    else body[key] = Array.isArray(previous) ? [...(previous as unknown[]), value] : [previous, value];
  };
  for (const [index, arg] of args.entries()) {
    if (arg === '-') {
      Object.assign(body, parseJsonObject(await readStdinOnce(), 'stdin'));
      continue;
    }
    if (arg.startsWith('@') && !arg.includes('=')) {
      Object.assign(body, parseJsonObject(await readLocalFile(io, arg.slice(1)), arg.slice(1)));
      continue;
    }
    const eq = arg.indexOf('=');
    // The argument may be a secret typed without its key, so it is not echoed.
    if (eq <= 0) throw new UsageError(`invalid key/value pair in data argument ${index + 1}: format must be key=value`);
    const key = arg.slice(0, eq);
    const raw = arg.slice(eq + 1);
    if (raw === '-') add(key, await readStdinOnce());
    else if (raw.startsWith('@')) add(key, await readLocalFile(io, raw.slice(1)));
    else add(key, raw);
  }
  return body;
}

async function readLocalFile(io: CliIo, filePath: string): Promise<string> {
  try {
    return await io.readFile(filePath);
  } catch (err) {
    throw new UsageError(`error reading file "${filePath}": ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

function parseJsonObject(text: string, source: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`failed to parse JSON from ${source}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`JSON from ${source} must be an object`);
  }
  return value as Record<string, unknown>;
}
