import type { ProviderEngine } from '../framework/provider-engine.js';
import type { Value } from '../framework/values.js';
import { pathToMessage } from './diagnostic-messages.js';
import type { ProviderLog } from './provider-log.js';
import type { ValueRpcHandlers } from './rpc-handler.js';
import { decodeDynamicValue, decodeJsonValue, encodeDynamicValue } from './value-codec.js';

const noBytes = new Uint8Array(0);
const textDecoder = new TextDecoder();

/** The tfplugin6 methods that carry values: decode with the schema's implied type, call the engine, encode. */
export function createValueHandlers(engine: () => Promise<ProviderEngine<unknown>>, log: ProviderLog): ValueRpcHandlers {
  return {
    ValidateProviderConfig: async (request, diagnostics) => {
      const e = await engine();
      e.validateProviderConfig(decodeDynamicValue(request.config, e.providerType()), diagnostics);
      return {};
    },
    ConfigureProvider: async (request, diagnostics) => {
      const e = await engine();
      log.debug({ terraformVersion: request.terraform_version }, 'configure provider');
      await e.configure(decodeDynamicValue(request.config, e.providerType()), diagnostics);
      return {};
    },
    ValidateResourceConfig: async (request, diagnostics) => {
      const e = await engine();
      const typeName = request.type_name ?? '';
      e.validateResourceConfig(typeName, decodeDynamicValue(request.config, e.resourceType(typeName)), diagnostics);
      return {};
    },
    ValidateDataResourceConfig: async (request, diagnostics) => {
      const e = await engine();
      const typeName = request.type_name ?? '';
      e.validateDataSourceConfig(typeName, decodeDynamicValue(request.config, e.dataSourceType(typeName)), diagnostics);
      return {};
    },
    UpgradeResourceState: async (request, diagnostics) => {
      const e = await engine();
      const typeName = request.type_name ?? '';
      const type = e.resourceType(typeName);
      const raw = request.raw_state;
      if (raw?.json === undefined || raw.json.length === 0) {
        diagnostics.error('Unsupported state format', 'This provider cannot upgrade state written before Terraform 0.12.');
        return {};
      }
      const version = request.version ?? 0;
      if (version > e.resourceSchemaVersion(typeName)) {
        diagnostics.error('State written by a newer provider', `${typeName} state has schema version ${version}.`);
        return {};
      }
      const state = decodeJsonValue(JSON.parse(textDecoder.decode(raw.json)), type);
      return { upgraded_state: encodeDynamicValue(state, type) };
    },
    ReadResource: async (request, diagnostics) => {
      const e = await engine();
      const typeName = request.type_name ?? '';
      const type = e.resourceType(typeName);
      const state = await e.readResource(typeName, decodeDynamicValue(request.current_state, type), diagnostics);
      return { new_state: encodeDynamicValue(state, type), private: request.private ?? noBytes };
    },
    PlanResourceChange: async (request, diagnostics) => {
      const e = await engine();
      const typeName = request.type_name ?? '';
      const type = e.resourceType(typeName);
      const result = e.planResourceChange(
        typeName,
        decodeDynamicValue(request.prior_state, type),
        decodeDynamicValue(request.proposed_new_state, type),
        decodeDynamicValue(request.config, type),
        diagnostics,
      );
      return {
        planned_state: encodeDynamicValue(result.planned, type),
        requires_replace: result.requiresReplace.map(pathToMessage),
        planned_private: request.prior_private ?? noBytes,
      };
    },
    ApplyResourceChange: async (request, diagnostics) => {
      const e = await engine();
      const typeName = request.type_name ?? '';
      const type = e.resourceType(typeName);
      const state = await e.applyResourceChange(
        typeName,
        decodeDynamicValue(request.prior_state, type),
        decodeDynamicValue(request.planned_state, type),
        decodeDynamicValue(request.config, type),
        diagnostics,
      );
      return { new_state: encodeDynamicValue(state, type), private: request.planned_private ?? noBytes };
    },
    ImportResourceState: async (request, diagnostics) => {
      const e = await engine();
      const typeName = request.type_name ?? '';
      const type = e.resourceType(typeName);
      const state: Value = await e.importResourceState(typeName, request.id ?? '', diagnostics);
      if (state === null) return { imported_resources: [] };
      return { imported_resources: [{ type_name: typeName, state: encodeDynamicValue(state, type), private: noBytes }] };
    },
    ReadDataSource: async (request, diagnostics) => {
      const e = await engine();
      const typeName = request.type_name ?? '';
      const type = e.dataSourceType(typeName);
      const state = await e.readDataSource(typeName, decodeDynamicValue(request.config, type), diagnostics);
      return { state: encodeDynamicValue(state, type) };
    },
  };
}
