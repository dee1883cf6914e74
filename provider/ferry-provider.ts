import { readFileSync } from 'node:fs';
import { ClientCache } from './client/client-cache.js';
import { attributePath, type Diagnostics } from './framework/diagnostics.js';
import { ProviderEngine } from './framework/provider-engine.js';
import type { DataSource, Provider, Resource } from './framework/resource.js';
import type { Schema } from './framework/schema.js';
import { boolType, stringType } from './framework/value-type.js';
import { isWhollyKnown, type ObjectValue } from './framework/values.js';
import { providerVersion } from './paths.js';
import { AppRoleAuthBackendRoleResource } from './resources/approle-auth-backend-role.js';
import { AuditResource } from './resources/audit.js';
import { AuthBackendResource } from './resources/auth-backend.js';
import { addressValidator, userpassLogin } from './resources/cluster-block.js';
import { ClusterTargetedDataSource, ClusterTargetedResource } from './resources/cluster-targeted.js';
import { ferryDataSource, ferryResource, type FerryResource } from './resources/ferry-client-binding.js';
import { GenericSecretResource } from './resources/generic-secret.js';
import { MountResource } from './resources/mount.js';
import { PolicyResource } from './resources/policy.js';
import type { FerryProviderData } from './resources/provider-data.js';
import { drReplication, performanceReplication } from './resources/replication-kind.js';
import { ReplicationPathsFilterResource } from './resources/replication-paths-filter.js';
import { ReplicationPrimaryResource } from './resources/replication-primary.js';
import { ReplicationSecondaryTokenResource } from './resources/replication-secondary-token.js';
import { ReplicationSecondaryResource } from './resources/replication-secondary.js';
import { ReplicationStatusDataSource } from './resources/replication-status-data-source.js';
import { TransitSecretBackendKeyResource } from './resources/transit-secret-backend-key.js';
import { stringValue, boolValue } from './resources/attribute-values.js';

const schema: Schema = {
  version: 0,
  block: {
    description: 'Ferry: a Vault-compatible secret store with cross-cluster replication.',
    attributes: {
      address: {
        type: stringType,
        optional: true,
        validators: [addressValidator],
        description: 'URL of the Ferry server, for example http://127.0.0.1:8200. Defaults to FERRY_ADDR, then VAULT_ADDR.',
      },
      token: {
        type: stringType,
        optional: true,
        sensitive: true,
        description: 'Token for API calls. Defaults to FERRY_TOKEN, then VAULT_TOKEN. It is not checked when the provider is configured.',
      },
      ca_cert_file: { type: stringType, optional: true, description: "PEM file with the CA that signed the server's TLS certificate." },
      skip_tls_verify: { type: boolType, optional: true, description: "Do not verify the server's TLS certificate (testing only)." },
    },
    blocks: {
      auth_login_userpass: {
        nesting: 'single',
        maxItems: 1,
        block: {
          description: "Log in with userpass when no token is set or the token is refused (a secondary's tokens change when it is activated).",
          attributes: {
            mount: { type: stringType, optional: true, description: 'The userpass mount path (default `userpass`).' },
            username: { type: stringType, required: true, description: 'The user name.' },
            password: { type: stringType, required: true, sensitive: true, description: 'The password.' },
          },
        },
      },
    },
  },
};

/** The environment variables the provider reads, captured once by the composition root. */
export interface ProviderEnvironment {
  FERRY_ADDR?: string | undefined;
  VAULT_ADDR?: string | undefined;
  FERRY_TOKEN?: string | undefined;
  VAULT_TOKEN?: string | undefined;
}

const requestTimeoutMs = 30_000;

/**
 * The Ferry provider: configuration, resources and data sources. Every resource and the data source take
 * an optional `cluster` block (resources/cluster-block.ts) that aims them at another cluster.
 */
export class FerryProvider implements Provider<FerryProviderData> {
  /** Clients by cluster and credentials for the life of this provider process. */
  private readonly clients = new ClientCache();

  constructor(private readonly env: ProviderEnvironment) {}

  metadata() {
    return { typeName: 'ferry', version: providerVersion };
  }

  schema(): Schema {
    return schema;
  }

  /** Builds the client. Never contacts the server: tokens may only become valid later (secondary activation). */
  async configure(config: ObjectValue, diagnostics: Diagnostics): Promise<FerryProviderData> {
    const base = { clients: this.clients, requestTimeoutMs, address: undefined, credentials: undefined };
    if (!isWhollyKnown(config)) {
      return { ...base, client: undefined, unavailableReason: 'The provider configuration depends on values that are only known after apply.' };
    }
    const address = stringValue(config, 'address') ?? nonEmpty(this.env.FERRY_ADDR) ?? nonEmpty(this.env.VAULT_ADDR);
    if (address === undefined) {
      diagnostics.error(
        'Missing Ferry address',
        'Set address in the provider block, or FERRY_ADDR (or VAULT_ADDR) in the environment.',
        attributePath('address'),
      );
      return { ...base, client: undefined, unavailableReason: 'The provider has no address.' };
    }
    let caCertPem: string | undefined;
    const caFile = stringValue(config, 'ca_cert_file');
    if (caFile !== null) {
      try {
        caCertPem = readFileSync(caFile, 'utf8');
      } catch (err) {
        diagnostics.error('Cannot read ca_cert_file', `${caFile}: ${err instanceof Error ? err.message : String(err)}`, attributePath('ca_cert_file'));
        return { ...base, address, client: undefined, unavailableReason: `The CA certificate file for ${address} could not be read.` };
      }
    }
    const userpass = userpassLogin(config['auth_login_userpass']);
    const token = stringValue(config, 'token') ?? nonEmpty(this.env.FERRY_TOKEN) ?? nonEmpty(this.env.VAULT_TOKEN);
    const client = this.clients.clientFor({
      address,
      token,
      caCertPem,
      skipTlsVerify: boolValue(config, 'skip_tls_verify') === true,
      userpass,
      requestTimeoutMs,
    });
    return { ...base, client, address, credentials: { token, userpass }, unavailableReason: '' };
  }

  resources(): ReadonlyArray<Resource<FerryProviderData>> {
    const resources: FerryResource[] = [
      new ReplicationPrimaryResource(performanceReplication),
      new ReplicationSecondaryTokenResource(performanceReplication),
      new ReplicationSecondaryResource(performanceReplication),
      new ReplicationPathsFilterResource(),
      new ReplicationPrimaryResource(drReplication),
      new ReplicationSecondaryTokenResource(drReplication),
      new ReplicationSecondaryResource(drReplication),
      new MountResource(),
      new AuditResource(),
      new AuthBackendResource(),
      new PolicyResource(),
      new GenericSecretResource(),
      new TransitSecretBackendKeyResource(),
      new AppRoleAuthBackendRoleResource(),
    ];
    return resources.map((r) => new ClusterTargetedResource(ferryResource(r)));
  }

  dataSources(): ReadonlyArray<DataSource<FerryProviderData>> {
    return [new ClusterTargetedDataSource(ferryDataSource(new ReplicationStatusDataSource()))];
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** The engine the protocol layer drives. */
export function createFerryEngine(env: ProviderEnvironment): ProviderEngine<unknown> {
  return new ProviderEngine<FerryProviderData>(new FerryProvider(env)) as unknown as ProviderEngine<unknown>;
}
