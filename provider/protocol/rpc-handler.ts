import type { Diagnostics } from '../framework/diagnostics.js';
import type { ProviderRpcName, ProviderRpcs } from './tfplugin6-messages.js';

/**
 * One tfplugin6 RPC: the decoded request in, the response out (its diagnostics are added by the service);
 * problems go into `diagnostics`.
 */
export type RpcHandler<M extends ProviderRpcName> = (
  request: ProviderRpcs[M]['request'],
  diagnostics: Diagnostics,
) => Promise<Omit<ProviderRpcs[M]['response'], 'diagnostics'>>;

/** The RPCs that carry DynamicValues, served by rpc-handlers.ts (loaded on first use). */
export const valueRpcNames = [
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
] as const satisfies readonly ProviderRpcName[];

export type ValueRpcName = (typeof valueRpcNames)[number];
export type ValueRpcHandlers = { [M in ValueRpcName]: RpcHandler<M> };
export type RpcHandlers = { [M in ProviderRpcName]: RpcHandler<M> };
