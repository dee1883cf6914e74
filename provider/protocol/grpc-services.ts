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

/** A method as the protobufjs JSON descriptor spells it. */
interface MethodJson {
  requestType: string;
  responseType: string;
  requestStream?: boolean;
  responseStream?: boolean;
}

interface NamespaceJson {
  nested?: Record<string, NamespaceJson>;
  methods?: Record<string, MethodJson>;
  fields?: Record<string, unknown>;
  oneofs?: Record<string, unknown>;
}

/** Whether the descriptor declares `fullName` as a message without fields (it decodes to `{}` from any bytes). */
function isFieldlessMessage(descriptor: NamespaceJson, fullName: string): boolean {
  let node: NamespaceJson | undefined = descriptor;
  for (const segment of fullName.split('.')) node = node?.nested?.[segment];
  return node !== undefined && node.methods === undefined && Object.keys(node.fields ?? {}).length === 0 && node.oneofs === undefined;
}

/**
 * Builds grpc-js service definitions straight from the checked-in protobufjs JSON descriptor (no .proto
 * parsing and no proto-loader at launch). Method names and paths come from the JSON; the protobufjs
 * reflection tree and each message codec are built on the first message that needs them, so a launch
 * reaches its handshake line without them. Works with either protobufjs build; tests pass the full one.
 * `protobuf` may be a getter, called on the first message that needs the runtime.
 */
export function buildServiceDefinitions(protobuf: Protobuf | (() => Protobuf), descriptor: object): PluginServiceDefinitions {
  let root: ProtobufLight.Root | undefined;
  const runtime = typeof protobuf === 'function' ? protobuf : () => protobuf;
  const lookupType = (name: string): ProtobufLight.Type => (root ??= runtime().Root.fromJSON(descriptor as ProtobufLight.INamespace)).lookupType(name);
  const json = descriptor as NamespaceJson;
  return {
    provider: serviceDefinition(json, 'tfplugin6.Provider', lookupType),
    controller: serviceDefinition(json, 'plugin.GRPCController', lookupType),
    health: serviceDefinition(json, 'grpc.health.v1.Health', lookupType),
  };
}

function serviceDefinition(descriptor: NamespaceJson, name: string, lookupType: (name: string) => ProtobufLight.Type): ServiceDefinition {
  const segments = name.split('.');
  const packageName = segments.slice(0, -1).join('.');
  let service: NamespaceJson | undefined = descriptor;
  for (const segment of segments) service = service?.nested?.[segment];
  if (service?.methods === undefined) throw new Error(`the descriptor has no service ${name}`);
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [methodName, method] of Object.entries(service.methods)) {
    // Type names in the descriptor are relative to the service's package.
    const request = lazyType(() => lookupType(`${packageName}.${method.requestType}`));
    // GetProviderSchema, GetMetadata, StopProvider, Shutdown: nothing to decode, so no protobufjs reflection
    // tree and no generated codec is built for them (the first RPC of every launch is one of these).
    const isFieldlessRequest = isFieldlessMessage(descriptor, `${packageName}.${method.requestType}`);
    const response = lazyType(() => lookupType(`${packageName}.${method.responseType}`));
    definition[methodName] = {
      path: `/${name}/${methodName}`,
      originalName: methodName,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: (value) =>
        Buffer.from(
          request()
            .encode(request().fromObject(value as object))
            .finish(),
        ),
      requestDeserialize: (bytes) => (isFieldlessRequest ? {} : request().toObject(request().decode(bytes), conversion)),
      // A Buffer is an answer encoded beforehand (the provider bundle's GetProviderSchema answer): sent as is.
      responseSerialize: (value) =>
        Buffer.isBuffer(value)
          ? value
          : Buffer.from(
              response()
                .encode(response().fromObject(value as object))
                .finish(),
            ),
      responseDeserialize: (bytes) => response().toObject(response().decode(bytes), conversion),
    };
  }
  return definition as ServiceDefinition;
}

function lazyType(resolve: () => ProtobufLight.Type): () => ProtobufLight.Type {
  let type: ProtobufLight.Type | undefined;
  return () => (type ??= resolve());
}
