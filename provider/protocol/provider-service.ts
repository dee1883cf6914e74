import type { sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { Diagnostics } from '../framework/diagnostics.js';
import { UnknownTypeError, type ProviderEngine } from '../framework/provider-engine.js';
import { diagnosticToMessage } from './diagnostic-messages.js';
import type { Handler, Request } from './rpc-handler.js';
import { providerSchemaResponse, type ProviderSchemaFile } from './schema-messages.js';

/** What the tfplugin6 handlers need; the engine is loaded on first use so the handshake stays fast. */
export interface ProviderServiceOptions {
  sourceAddress: string;
  loadSchemaFile: () => ProviderSchemaFile;
  loadEngine: () => Promise<ProviderEngine<unknown>>;
  log: Logger;
}

/** The RPCs that carry DynamicValues; served by rpc-handlers.ts. */
const valueMethods = [
  'ValidateProviderConfig',
  'ConfigureProvider',
  'ValidateResourceConfig',
  'ValidateDataResourceConfig',
  'UpgradeResourceState',
  'ReadResource',
  'PlanResourceChange',
  'ApplyResourceChange',
  'ImportResourceState',
  'ReadDataSource',
] as const;

/**
 * tfplugin6.Provider: one thin method per RPC. Each decodes values with the schema's implied type, calls
 * the engine and encodes the result; problems travel as diagnostics, never as gRPC errors.
 */
export function createProviderService(options: ProviderServiceOptions): UntypedServiceImplementation {
  const { log } = options;
  const engine = options.loadEngine;

  // Everything that touches values lives in rpc-handlers.ts, imported on first use: the schema call that
  // starts every launch needs neither the engine nor the msgpack codec.
  let valueHandlers: Promise<Record<string, Handler>> | undefined;
  const loadValueHandlers = () => (valueHandlers ??= import('./rpc-handlers.js').then((m) => m.createValueHandlers(engine, log)));
  const handlers: Record<string, Handler> = {
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
  };
  for (const method of valueMethods) {
    handlers[method] = async (request, diagnostics) => {
      const table = await loadValueHandlers();
      const handler = table[method];
      if (handler === undefined) throw new Error(`no handler for ${method}`);
      return await handler(request, diagnostics);
    };
  }

  const service: UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(handlers)) {
    service[method] = (call: ServerUnaryCall<Request, unknown>, callback: sendUnaryData<unknown>) => {
      const diagnostics = new Diagnostics();
      const started = Date.now();
      handler(call.request, diagnostics).then(
        (response) => {
          log.debug({ rpc: method, typeName: call.request['type_name'], ms: Date.now() - started }, 'rpc');
          callback(null, { ...response, diagnostics: diagnostics.items.map(diagnosticToMessage) });
        },
        (err: unknown) => {
          if (err instanceof UnknownTypeError) {
            diagnostics.error(`Unknown ${err.kind} type`, `This provider has no ${err.kind} type "${err.typeName}".`);
          } else {
            log.error({ rpc: method, err: err instanceof Error ? err.stack : String(err) }, 'rpc failed');
            diagnostics.error('Internal provider error', `${method} failed: ${err instanceof Error ? err.message : String(err)}`);
          }
          callback(null, { diagnostics: diagnostics.items.map(diagnosticToMessage) });
        },
      );
    };
  }
  return service;
}
