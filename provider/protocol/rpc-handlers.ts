import type { Logger } from 'pino';
import type { ProviderEngine } from '../framework/provider-engine.js';
import type { Value } from '../framework/values.js';
import { pathToMessage } from './diagnostic-messages.js';
import type { Handler, Request } from './rpc-handler.js';
import { decodeDynamicValue, decodeJsonValue, encodeDynamicValue, type DynamicValueMessage } from './value-codec.js';

const dv = (request: Request, field: string): DynamicValueMessage | null => (request[field] as DynamicValueMessage | null) ?? null;

/** The tfplugin6 methods that carry values: decode with the schema's implied type, call the engine, encode. */
export function createValueHandlers(engine: () => Promise<ProviderEngine<unknown>>, log: Logger): Record<string, Handler> {
  return {
    ValidateProviderConfig: async (request, diagnostics) => {
      const e = await engine();
      e.validateProviderConfig(decodeDynamicValue(dv(request, 'config'), e.providerType()), diagnostics);
      return {};
    },
    ConfigureProvider: async (request, diagnostics) => {
      const e = await engine();
      log.debug({ terraformVersion: request['terraform_version'] }, 'configure provider');
      await e.configure(decodeDynamicValue(dv(request, 'config'), e.providerType()), diagnostics);
      return {};
    },
    ValidateResourceConfig: async (request, diagnostics) => {
      const e = await engine();
      const typeName = String(request['type_name']);
      e.validateResourceConfig(typeName, decodeDynamicValue(dv(request, 'config'), e.resourceType(typeName)), diagnostics);
      return {};
    },
    ValidateDataResourceConfig: async (request, diagnostics) => {
      const e = await engine();
      const typeName = String(request['type_name']);
      e.validateDataSourceConfig(typeName, decodeDynamicValue(dv(request, 'config'), e.dataSourceType(typeName)), diagnostics);
      return {};
    },
    UpgradeResourceState: async (request, diagnostics) => {
      const e = await engine();
      const typeName = String(request['type_name']);
      const type = e.resourceType(typeName);
      const raw = request['raw_state'] as { json?: Buffer; flatmap?: Record<string, string> } | null;
      if (raw?.json === undefined || raw.json.length === 0) {
        diagnostics.error('Unsupported state format', 'This provider cannot upgrade state written before Terraform 0.12.');
        return {};
      }
      const version = Number(request['version'] ?? 0);
      if (version > e.resourceSchemaVersion(typeName)) {
        diagnostics.error('State written by a newer provider', `${typeName} state has schema version ${version}.`);
        return {};
      }
      const state = decodeJsonValue(JSON.parse(raw.json.toString('utf8')), type);
      return { upgraded_state: encodeDynamicValue(state, type) };
    },
    ReadResource: async (request, diagnostics) => {
      const e = await engine();
      const typeName = String(request['type_name']);
      const type = e.resourceType(typeName);
      const state = await e.readResource(typeName, decodeDynamicValue(dv(request, 'current_state'), type), diagnostics);
      return { new_state: encodeDynamicValue(state, type), private: request['private'] ?? Buffer.alloc(0) };
    },
    PlanResourceChange: async (request, diagnostics) => {
      const e = await engine();
      const typeName = String(request['type_name']);
      const type = e.resourceType(typeName);
      const result = e.planResourceChange(
        typeName,
        decodeDynamicValue(dv(request, 'prior_state'), type),
        decodeDynamicValue(dv(request, 'proposed_new_state'), type),
        decodeDynamicValue(dv(request, 'config'), type),
        diagnostics,
      );
      return {
        planned_state: encodeDynamicValue(result.planned, type),
        requires_replace: result.requiresReplace.map(pathToMessage),
        planned_private: request['prior_private'] ?? Buffer.alloc(0),
      };
    },
    ApplyResourceChange: async (request, diagnostics) => {
      const e = await engine();
      const typeName = String(request['type_name']);
      const type = e.resourceType(typeName);
      const state = await e.applyResourceChange(
        typeName,
        decodeDynamicValue(dv(request, 'prior_state'), type),
        decodeDynamicValue(dv(request, 'planned_state'), type),
        decodeDynamicValue(dv(request, 'config'), type),
        diagnostics,
      );
      return { new_state: encodeDynamicValue(state, type), private: request['planned_private'] ?? Buffer.alloc(0) };
    },
    ImportResourceState: async (request, diagnostics) => {
      const e = await engine();
      const typeName = String(request['type_name']);
      const type = e.resourceType(typeName);
      const state: Value = await e.importResourceState(typeName, String(request['id'] ?? ''), diagnostics);
      if (state === null) return { imported_resources: [] };
      return { imported_resources: [{ type_name: typeName, state: encodeDynamicValue(state, type), private: Buffer.alloc(0) }] };
    },
    ReadDataSource: async (request, diagnostics) => {
      const e = await engine();
      const typeName = String(request['type_name']);
      const type = e.dataSourceType(typeName);
      const state = await e.readDataSource(typeName, decodeDynamicValue(dv(request, 'config'), type), diagnostics);
      return { state: encodeDynamicValue(state, type) };
    },
  };
}
