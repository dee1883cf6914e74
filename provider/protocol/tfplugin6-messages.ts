// GENERATED — do not edit. Regenerate with `npm run provider:messages` (provider/protocol/message-types-generator.ts)
// from schemas/proto/tfplugin6.proto; test/provider/protocol/message-types-generator.test.ts fails on drift.

/*
 * tfplugin6 messages as the provider's gRPC services hand them over (grpc-services.ts): snake_case fields,
 * enums as their names, 64-bit integers as numbers, bytes as Uint8Array (Buffers at runtime). Every field is
 * optional, as protobuf's are: a response may leave out what is empty, and a decoded request carries defaults.
 */

/** tfplugin6.DynamicValue */
export interface DynamicValue {
  msgpack?: Uint8Array;
  json?: Uint8Array;
}

/** tfplugin6.Diagnostic */
export interface Diagnostic {
  severity?: DiagnosticSeverity;
  summary?: string;
  detail?: string;
  attribute?: AttributePath | null;
}

/** tfplugin6.Diagnostic.Severity */
export type DiagnosticSeverity = 'INVALID' | 'ERROR' | 'WARNING';

/** tfplugin6.AttributePath */
export interface AttributePath {
  steps?: AttributePathStep[];
}

/** tfplugin6.AttributePath.Step */
export interface AttributePathStep {
  attribute_name?: string;
  element_key_string?: string;
  element_key_int?: number;
  selector?: 'attribute_name' | 'element_key_string' | 'element_key_int';
}

/** tfplugin6.StopProvider */
export interface StopProvider {}

/** tfplugin6.StopProvider.Request */
export interface StopProviderRequest {}

/** tfplugin6.StopProvider.Response */
export interface StopProviderResponse {
  Error?: string;
}

/** tfplugin6.RawState */
export interface RawState {
  json?: Uint8Array;
  flatmap?: Record<string, string>;
}

/** tfplugin6.StringKind */
export type StringKind = 'PLAIN' | 'MARKDOWN';

/** tfplugin6.Schema */
export interface Schema {
  version?: number;
  block?: SchemaBlock | null;
}

/** tfplugin6.Schema.Block */
export interface SchemaBlock {
  version?: number;
  attributes?: SchemaAttribute[];
  block_types?: SchemaNestedBlock[];
  description?: string;
  description_kind?: StringKind;
  deprecated?: boolean;
  deprecation_message?: string;
}

/** tfplugin6.Schema.Attribute */
export interface SchemaAttribute {
  name?: string;
  type?: Uint8Array;
  nested_type?: SchemaObject | null;
  description?: string;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  sensitive?: boolean;
  description_kind?: StringKind;
  deprecated?: boolean;
  write_only?: boolean;
  deprecation_message?: string;
}

/** tfplugin6.Schema.NestedBlock */
export interface SchemaNestedBlock {
  type_name?: string;
  block?: SchemaBlock | null;
  nesting?: SchemaNestedBlockNestingMode;
  min_items?: number;
  max_items?: number;
}

/** tfplugin6.Schema.NestedBlock.NestingMode */
export type SchemaNestedBlockNestingMode = 'INVALID' | 'SINGLE' | 'LIST' | 'SET' | 'MAP' | 'GROUP';

/** tfplugin6.Schema.Object */
export interface SchemaObject {
  attributes?: SchemaAttribute[];
  nesting?: SchemaObjectNestingMode;
}

/** tfplugin6.Schema.Object.NestingMode */
export type SchemaObjectNestingMode = 'INVALID' | 'SINGLE' | 'LIST' | 'SET' | 'MAP';

/** tfplugin6.ServerCapabilities */
export interface ServerCapabilities {
  plan_destroy?: boolean;
  get_provider_schema_optional?: boolean;
  move_resource_state?: boolean;
  generate_resource_config?: boolean;
}

/** tfplugin6.ClientCapabilities */
export interface ClientCapabilities {
  deferral_allowed?: boolean;
  write_only_attributes_allowed?: boolean;
}

/** tfplugin6.Deferred */
export interface Deferred {
  reason?: DeferredReason;
}

/** tfplugin6.Deferred.Reason */
export type DeferredReason = 'UNKNOWN' | 'RESOURCE_CONFIG_UNKNOWN' | 'PROVIDER_CONFIG_UNKNOWN' | 'ABSENT_PREREQ';

/** tfplugin6.ResourceIdentityData */
export interface ResourceIdentityData {
  identity_data?: DynamicValue | null;
}

/** tfplugin6.GetMetadata */
export interface GetMetadata {}

/** tfplugin6.GetMetadata.Request */
export interface GetMetadataRequest {}

/** tfplugin6.GetMetadata.Response */
export interface GetMetadataResponse {
  server_capabilities?: ServerCapabilities | null;
  diagnostics?: Diagnostic[];
  data_sources?: GetMetadataDataSourceMetadata[];
  resources?: GetMetadataResourceMetadata[];
}

/** tfplugin6.GetMetadata.DataSourceMetadata */
export interface GetMetadataDataSourceMetadata {
  type_name?: string;
}

/** tfplugin6.GetMetadata.ResourceMetadata */
export interface GetMetadataResourceMetadata {
  type_name?: string;
}

/** tfplugin6.GetProviderSchema */
export interface GetProviderSchema {}

/** tfplugin6.GetProviderSchema.Request */
export interface GetProviderSchemaRequest {}

/** tfplugin6.GetProviderSchema.Response */
export interface GetProviderSchemaResponse {
  provider?: Schema | null;
  resource_schemas?: Record<string, Schema>;
  data_source_schemas?: Record<string, Schema>;
  diagnostics?: Diagnostic[];
  provider_meta?: Schema | null;
  server_capabilities?: ServerCapabilities | null;
}

/** tfplugin6.ValidateProviderConfig */
export interface ValidateProviderConfig {}

/** tfplugin6.ValidateProviderConfig.Request */
export interface ValidateProviderConfigRequest {
  config?: DynamicValue | null;
}

/** tfplugin6.ValidateProviderConfig.Response */
export interface ValidateProviderConfigResponse {
  diagnostics?: Diagnostic[];
}

/** tfplugin6.UpgradeResourceState */
export interface UpgradeResourceState {}

/** tfplugin6.UpgradeResourceState.Request */
export interface UpgradeResourceStateRequest {
  type_name?: string;
  version?: number;
  raw_state?: RawState | null;
}

/** tfplugin6.UpgradeResourceState.Response */
export interface UpgradeResourceStateResponse {
  upgraded_state?: DynamicValue | null;
  diagnostics?: Diagnostic[];
}

/** tfplugin6.ValidateResourceConfig */
export interface ValidateResourceConfig {}

/** tfplugin6.ValidateResourceConfig.Request */
export interface ValidateResourceConfigRequest {
  type_name?: string;
  config?: DynamicValue | null;
  client_capabilities?: ClientCapabilities | null;
}

/** tfplugin6.ValidateResourceConfig.Response */
export interface ValidateResourceConfigResponse {
  diagnostics?: Diagnostic[];
}

/** tfplugin6.ValidateDataResourceConfig */
export interface ValidateDataResourceConfig {}

/** tfplugin6.ValidateDataResourceConfig.Request */
export interface ValidateDataResourceConfigRequest {
  type_name?: string;
  config?: DynamicValue | null;
}

/** tfplugin6.ValidateDataResourceConfig.Response */
export interface ValidateDataResourceConfigResponse {
  diagnostics?: Diagnostic[];
}

/** tfplugin6.ConfigureProvider */
export interface ConfigureProvider {}

/** tfplugin6.ConfigureProvider.Request */
export interface ConfigureProviderRequest {
  terraform_version?: string;
  config?: DynamicValue | null;
  client_capabilities?: ClientCapabilities | null;
}

/** tfplugin6.ConfigureProvider.Response */
export interface ConfigureProviderResponse {
  diagnostics?: Diagnostic[];
}

/** tfplugin6.ReadResource */
export interface ReadResource {}

/** tfplugin6.ReadResource.Request */
export interface ReadResourceRequest {
  type_name?: string;
  current_state?: DynamicValue | null;
  private?: Uint8Array;
  provider_meta?: DynamicValue | null;
  client_capabilities?: ClientCapabilities | null;
  current_identity?: ResourceIdentityData | null;
}

/** tfplugin6.ReadResource.Response */
export interface ReadResourceResponse {
  new_state?: DynamicValue | null;
  diagnostics?: Diagnostic[];
  private?: Uint8Array;
  deferred?: Deferred | null;
}

/** tfplugin6.PlanResourceChange */
export interface PlanResourceChange {}

/** tfplugin6.PlanResourceChange.Request */
export interface PlanResourceChangeRequest {
  type_name?: string;
  prior_state?: DynamicValue | null;
  proposed_new_state?: DynamicValue | null;
  config?: DynamicValue | null;
  prior_private?: Uint8Array;
  provider_meta?: DynamicValue | null;
  client_capabilities?: ClientCapabilities | null;
  prior_identity?: ResourceIdentityData | null;
}

/** tfplugin6.PlanResourceChange.Response */
export interface PlanResourceChangeResponse {
  planned_state?: DynamicValue | null;
  requires_replace?: AttributePath[];
  planned_private?: Uint8Array;
  diagnostics?: Diagnostic[];
  legacy_type_system?: boolean;
  deferred?: Deferred | null;
}

/** tfplugin6.ApplyResourceChange */
export interface ApplyResourceChange {}

/** tfplugin6.ApplyResourceChange.Request */
export interface ApplyResourceChangeRequest {
  type_name?: string;
  prior_state?: DynamicValue | null;
  planned_state?: DynamicValue | null;
  config?: DynamicValue | null;
  planned_private?: Uint8Array;
  provider_meta?: DynamicValue | null;
  planned_identity?: ResourceIdentityData | null;
}

/** tfplugin6.ApplyResourceChange.Response */
export interface ApplyResourceChangeResponse {
  new_state?: DynamicValue | null;
  private?: Uint8Array;
  diagnostics?: Diagnostic[];
  legacy_type_system?: boolean;
}

/** tfplugin6.ImportResourceState */
export interface ImportResourceState {}

/** tfplugin6.ImportResourceState.Request */
export interface ImportResourceStateRequest {
  type_name?: string;
  id?: string;
  client_capabilities?: ClientCapabilities | null;
  identity?: ResourceIdentityData | null;
}

/** tfplugin6.ImportResourceState.ImportedResource */
export interface ImportResourceStateImportedResource {
  type_name?: string;
  state?: DynamicValue | null;
  private?: Uint8Array;
}

/** tfplugin6.ImportResourceState.Response */
export interface ImportResourceStateResponse {
  imported_resources?: ImportResourceStateImportedResource[];
  diagnostics?: Diagnostic[];
  deferred?: Deferred | null;
}

/** tfplugin6.ReadDataSource */
export interface ReadDataSource {}

/** tfplugin6.ReadDataSource.Request */
export interface ReadDataSourceRequest {
  type_name?: string;
  config?: DynamicValue | null;
  provider_meta?: DynamicValue | null;
  client_capabilities?: ClientCapabilities | null;
}

/** tfplugin6.ReadDataSource.Response */
export interface ReadDataSourceResponse {
  state?: DynamicValue | null;
  diagnostics?: Diagnostic[];
  deferred?: Deferred | null;
}

/** tfplugin6.Provider: the request and response message of each RPC. */
export interface ProviderRpcs {
  GetMetadata: { request: GetMetadataRequest; response: GetMetadataResponse };
  GetProviderSchema: { request: GetProviderSchemaRequest; response: GetProviderSchemaResponse };
  ValidateProviderConfig: { request: ValidateProviderConfigRequest; response: ValidateProviderConfigResponse };
  ValidateResourceConfig: { request: ValidateResourceConfigRequest; response: ValidateResourceConfigResponse };
  ValidateDataResourceConfig: { request: ValidateDataResourceConfigRequest; response: ValidateDataResourceConfigResponse };
  UpgradeResourceState: { request: UpgradeResourceStateRequest; response: UpgradeResourceStateResponse };
  ConfigureProvider: { request: ConfigureProviderRequest; response: ConfigureProviderResponse };
  ReadResource: { request: ReadResourceRequest; response: ReadResourceResponse };
  PlanResourceChange: { request: PlanResourceChangeRequest; response: PlanResourceChangeResponse };
  ApplyResourceChange: { request: ApplyResourceChangeRequest; response: ApplyResourceChangeResponse };
  ImportResourceState: { request: ImportResourceStateRequest; response: ImportResourceStateResponse };
  ReadDataSource: { request: ReadDataSourceRequest; response: ReadDataSourceResponse };
  StopProvider: { request: StopProviderRequest; response: StopProviderResponse };
}

export type ProviderRpcName = keyof ProviderRpcs;
