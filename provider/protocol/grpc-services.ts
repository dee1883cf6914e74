import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import type * as ProtobufLight from 'protobufjs/light.js';

/** The part of protobufjs this module uses (the light and the full build both provide it). */
type Protobuf = { Root: typeof ProtobufLight.Root };

/** How decoded messages look to handlers: snake_case fields, enums as names, bytes as Buffers. */
const conversion = { longs: Number, enums: String, defaults: true, oneofs: true } as const;

/** The gRPC services one provider process serves. */
export interface PluginServiceDefinitions {
  provider: ServiceDefinition;
  controller: ServiceDefinition;
  health: ServiceDefinition;
}

/**
 * Builds grpc-js service definitions straight from the checked-in protobufjs JSON descriptor (no .proto
 * parsing and no proto-loader at launch). Works with either protobufjs build; tests pass the full one.
 */
export function buildServiceDefinitions(protobuf: Protobuf, descriptor: object): PluginServiceDefinitions {
  const root = protobuf.Root.fromJSON(descriptor as ProtobufLight.INamespace);
  root.resolveAll();
  return {
    provider: serviceDefinition(root, 'tfplugin6.Provider'),
    controller: serviceDefinition(root, 'plugin.GRPCController'),
    health: serviceDefinition(root, 'grpc.health.v1.Health'),
  };
}

function serviceDefinition(root: ProtobufLight.Root, name: string): ServiceDefinition {
  const service = root.lookupService(name);
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methodsArray) {
    const request = method.resolvedRequestType;
    const response = method.resolvedResponseType;
    if (request === null || response === null) throw new Error(`unresolved types in ${name}.${method.name}`);
    definition[method.name] = {
      path: `/${name}/${method.name}`,
      originalName: method.name,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: (value) => Buffer.from(request.encode(request.fromObject(value as object)).finish()),
      requestDeserialize: (bytes) => request.toObject(request.decode(bytes), conversion),
      responseSerialize: (value) => Buffer.from(response.encode(response.fromObject(value as object)).finish()),
      responseDeserialize: (bytes) => response.toObject(response.decode(bytes), conversion),
    };
  }
  return definition as ServiceDefinition;
}
