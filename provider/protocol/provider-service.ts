import type { sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { Diagnostics } from '../framework/diagnostics.js';
import { UnknownTypeError, type ProviderEngine } from '../framework/provider-engine.js';
import { diagnosticToMessage } from './diagnostic-messages.js';
import type { ProviderLog } from './provider-log.js';
import { valueRpcNames, type RpcHandler, type RpcHandlers, type ValueRpcHandlers, type ValueRpcName } from './rpc-handler.js';
import { providerSchemaResponse, type ProviderSchemaFile } from './schema-messages.js';
import type { ProviderRpcName, ProviderRpcs } from './tfplugin6-messages.js';

/** What the tfplugin6 handlers need; the engine is loaded on first use so the handshake stays fast. */
export interface ProviderServiceOptions {
  sourceAddress: string;
  loadSchemaFile: () => ProviderSchemaFile;
  loadEngine: () => Promise<ProviderEngine<unknown>>;
  log: ProviderLog;
  /** GetProviderSchema's answer encoded beforehand (the provider bundle carries it): sent as is when given. */
  encodedSchemaAnswer?: Buffer | undefined;
}

/**
 * tfplugin6.Provider: one thin method per RPC. Each decodes values with the schema's implied type, calls
 * the engine and encodes the result; problems travel as diagnostics, never as gRPC errors.
 */
export function createProviderService(options: ProviderServiceOptions): UntypedServiceImplementation {
  const { log } = options;
  const engine = options.loadEngine;

  // Everything that touches values lives in rpc-handlers.ts, imported on first use: the schema call that
  // starts every launch needs neither the engine nor the msgpack codec.
  let valueHandlers: Promise<ValueRpcHandlers> | undefined;
  const loadValueHandlers = () => (valueHandlers ??= import('./rpc-handlers.js').then((m) => m.createValueHandlers(engine, log)));
  const lazily =
    <M extends ValueRpcName>(method: M): RpcHandler<M> =>
    async (request, diagnostics) =>
      await (await loadValueHandlers())[method](request, diagnostics);
  const handlers: RpcHandlers = {
    GetMetadata: async () => {
      const schema = options.loadSchemaFile().provider_schemas[options.sourceAddress];
      return {
        server_capabilities: { plan_destroy: true, get_provider_schema_optional: true },
        resources: Object.keys(schema?.resource_schemas ?? {}).map((type_name) => ({ type_name })),
        data_sources: Object.keys(schema?.data_source_schemas ?? {}).map((type_name) => ({ type_name })),
      };
    },
    GetProviderSchema: async () => providerSchemaResponse(options.loadSchemaFile(), options.sourceAddress),
    StopProvider: async () => ({ Error: '' }),
    ...(Object.fromEntries(valueRpcNames.map((method) => [method, lazily(method)])) as ValueRpcHandlers),
  };

  const serve = <M extends ProviderRpcName>(method: M, handler: RpcHandler<M>) => {
    type Response = ProviderRpcs[M]['response'];
    return (call: ServerUnaryCall<ProviderRpcs[M]['request'], Response>, callback: sendUnaryData<Response>): void => {
      const diagnostics = new Diagnostics();
      const started = Date.now();
      handler(call.request, diagnostics).then(
        (response) => {
          const typeName = (call.request as { type_name?: string }).type_name;
          log.debug({ rpc: method, typeName, ms: Date.now() - started }, 'rpc');
          callback(null, { ...response, diagnostics: diagnostics.items.map(diagnosticToMessage) } as Response);
        },
        (err: unknown) => {
          if (err instanceof UnknownTypeError) {
            diagnostics.error(`Unknown ${err.kind} type`, `This provider has no ${err.kind} type "${err.typeName}".`);
          } else {
            log.error({ rpc: method, err: err instanceof Error ? err.stack : String(err) }, 'rpc failed');
            diagnostics.error('Internal provider error', `${method} failed: ${err instanceof Error ? err.message : String(err)}`);
          }
          callback(null, { diagnostics: diagnostics.items.map(diagnosticToMessage) } as Response);
        },
      );
    };
  };
  const service: UntypedServiceImplementation = {};
  const add = <M extends ProviderRpcName>(method: M): void => {
    service[method] = serve(method, handlers[method]) as UntypedServiceImplementation[string];
  };
  for (const method of Object.keys(handlers) as ProviderRpcName[]) add(method);
  const encoded = options.encodedSchemaAnswer;
  if (encoded !== undefined) {
    service['GetProviderSchema'] = (_call: unknown, callback: sendUnaryData<Buffer>): void => {
      log.debug({ rpc: 'GetProviderSchema', ms: 0, encodedBeforehand: true }, 'rpc');
      callback(null, encoded);
    };
  }
  return service;
}
