import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import protobuf from 'protobufjs';
import { protoDir, repoRoot } from '../paths.js';

/** The generated file: TypeScript types of every tfplugin6 message, checked in. */
export const messageTypesFile = join(repoRoot, 'provider', 'protocol', 'tfplugin6-messages.ts');

const header = `// GENERATED — do not edit. Regenerate with \`npm run provider:messages\` (provider/protocol/message-types-generator.ts)
// from schemas/proto/tfplugin6.proto; test/provider/protocol/message-types-generator.test.ts fails on drift.

/*
 * tfplugin6 messages as the provider's gRPC services hand them over (grpc-services.ts): snake_case fields,
 * enums as their names, 64-bit integers as numbers, bytes as Uint8Array (Buffers at runtime). Every field is
 * optional, as protobuf's are: a response may leave out what is empty, and a decoded request carries defaults.
 */
`;

const scalarTypes: Readonly<Record<string, string>> = {
  string: 'string',
  bool: 'boolean',
  bytes: 'Uint8Array',
  double: 'number',
  float: 'number',
  int32: 'number',
  uint32: 'number',
  sint32: 'number',
  fixed32: 'number',
  sfixed32: 'number',
  int64: 'number',
  uint64: 'number',
  sint64: 'number',
  fixed64: 'number',
  sfixed64: 'number',
};

/** `tfplugin6.Schema.Block` → `SchemaBlock`: nested names joined, so every type is one flat export. */
function typeName(reflected: protobuf.ReflectionObject, pkg: protobuf.Namespace): string {
  const parts: string[] = [];
  for (let at: protobuf.ReflectionObject | null = reflected; at !== null && at !== pkg; at = at.parent) parts.unshift(at.name);
  return parts.join('');
}

function fieldType(field: protobuf.Field, pkg: protobuf.Namespace): string {
  const resolved = field.resolvedType;
  const base = resolved === null ? scalarTypes[field.type] : typeName(resolved, pkg);
  if (base === undefined) throw new Error(`unsupported field type ${field.type} of ${field.fullName}`);
  if (field instanceof protobuf.MapField) return `Record<string, ${base}>`;
  if (field.repeated) return `${base}[]`;
  return resolved instanceof protobuf.Type ? `${base} | null` : base;
}

function renderType(type: protobuf.Type, pkg: protobuf.Namespace): string {
  const lines = [`/** ${type.fullName.replace(/^\./, '')} */`];
  const fields = type.fieldsArray.map((f) => `  ${f.name}?: ${fieldType(f, pkg)};`);
  // grpc-services.ts decodes with `oneofs: true`: the name of the set member appears under the oneof's name.
  const oneofs = type.oneofsArray.map((o) => `  ${o.name}?: ${o.oneof.map((n) => `'${n}'`).join(' | ')};`);
  const body = [...fields, ...oneofs];
  lines.push(body.length === 0 ? `export interface ${typeName(type, pkg)} {}` : `export interface ${typeName(type, pkg)} {\n${body.join('\n')}\n}`);
  return lines.join('\n');
}

function renderEnum(reflected: protobuf.Enum, pkg: protobuf.Namespace): string {
  const names = Object.keys(reflected.values).map((n) => `'${n}'`);
  return `/** ${reflected.fullName.replace(/^\./, '')} */\nexport type ${typeName(reflected, pkg)} = ${names.join(' | ')};`;
}

function collect(ns: protobuf.Namespace, out: protobuf.ReflectionObject[]): void {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type || nested instanceof protobuf.Enum) out.push(nested);
    if (nested instanceof protobuf.Namespace) collect(nested, out);
  }
}

/** Renders the TypeScript types of schemas/proto/tfplugin6.proto (messages, enums, the Provider service). */
export function generateMessageTypes(): string {
  const root = new protobuf.Root();
  protobuf.parse(readFileSync(join(protoDir, 'tfplugin6.proto'), 'utf8'), root, { keepCase: true });
  root.resolveAll();
  const pkg = root.lookup('tfplugin6');
  if (!(pkg instanceof protobuf.Namespace)) throw new Error('tfplugin6.proto has no tfplugin6 package');
  const reflected: protobuf.ReflectionObject[] = [];
  collect(pkg, reflected);
  const seen = new Map<string, string>();
  const blocks: string[] = [];
  for (const r of reflected) {
    const name = typeName(r, pkg);
    const other = seen.get(name);
    if (other !== undefined) throw new Error(`${r.fullName} and ${other} would both be named ${name}`);
    seen.set(name, r.fullName);
    blocks.push(r instanceof protobuf.Enum ? renderEnum(r, pkg) : renderType(r as protobuf.Type, pkg));
  }
  const service = pkg.lookupService('Provider');
  const methods = service.methodsArray.map((m) => {
    const request = typeName(pkg.lookupType(m.requestType), pkg);
    const response = typeName(pkg.lookupType(m.responseType), pkg);
    return `  ${m.name}: { request: ${request}; response: ${response} };`;
  });
  blocks.push(`/** tfplugin6.Provider: the request and response message of each RPC. */\nexport interface ProviderRpcs {\n${methods.join('\n')}\n}`);
  blocks.push('export type ProviderRpcName = keyof ProviderRpcs;');
  return `${header}\n${blocks.join('\n\n')}\n`;
}

export function writeMessageTypes(): void {
  writeFileSync(messageTypesFile, generateMessageTypes());
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeMessageTypes();
  process.stderr.write(`wrote ${messageTypesFile}\n`);
}
