import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import protobuf from 'protobufjs';
import { protoDescriptorFile, protoDir } from '../paths.js';

/** The .proto files whose services the provider process serves, in load order. */
export const protoFiles = ['tfplugin6.proto', 'go-plugin.proto', 'health.proto'] as const;

/**
 * Parses the checked-in .proto files with the full protobufjs parser and returns the JSON descriptor the
 * runtime loads with `protobufjs/light` (parsing .proto text at every launch would cost startup time).
 */
export function generateProtoDescriptor(): string {
  const root = new protobuf.Root();
  for (const file of protoFiles) {
    const source = readFileSync(join(protoDir, file), 'utf8');
    protobuf.parse(source, root, { keepCase: true });
  }
  root.resolveAll();
  return JSON.stringify(root.toJSON({ keepComments: false }), null, 2) + '\n';
}

export function writeProtoDescriptor(): void {
  writeFileSync(protoDescriptorFile, generateProtoDescriptor());
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeProtoDescriptor();
  process.stderr.write(`wrote ${protoDescriptorFile}\n`);
}
