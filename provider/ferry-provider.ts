import { readFileSync } from 'node:fs';
import { FerryClient, type UserpassLogin } from './client/ferry-client.js';
import { attributePath, type Diagnostics } from './framework/diagnostics.js';
import { ProviderEngine } from './framework/provider-engine.js';
import type { DataSource, Provider, Resource } from './framework/resource.js';
import type { Schema } from './framework/schema.js';
import { boolType, stringType } from './framework/value-type.js';
import { isObjectValue, isWhollyKnown, type ObjectValue } from './framework/values.js';
import { providerVersion } from './paths.js';
import { AuditResource } from './resources/audit.js';
import { AuthBackendResource } from './resources/auth-backend.js';
import { GenericSecretResource } from './resources/generic-secret.js';
import { MountResource } from './resources/mount.js';
import { PolicyResource } from './resources/policy.js';
import type { FerryProviderData } from './resources/provider-data.js';
import { ReplicationPrimaryResource } from './resources/replication-primary.js';
import { ReplicationSecondaryTokenResource } from './resources/replication-secondary-token.js';
import { ReplicationSecondaryResource } from './resources/replication-secondary.js';
import { ReplicationStatusDataSource } from './resources/replication-status-data-source.js';
import { stringValue, boolValue } from './resources/attribute-values.js';

const schema: Schema = {
  version: 0,
  block: {
    description: 'Ferry: a Vault-compatible secret store with cross-cluster replication.',
    attributes: {
      address: { type: stringType, optional: true, description: 'URL of the Ferry server, for example http://127.0.0.1:8200. Defaults to FERRY_ADDR, then VAULT_ADDR.' },
      token: { type: stringType, optional: true, sensitive: true, description: 'Token for API calls. Defaults to FERRY_TOKEN, then VAULT_TOKEN. It is not checked when the provider is configured.' },
      ca_cert_file: { type: stringType, optional: true, description: 'PEM file with the CA that signed the server\'s TLS certificate.' },
      skip_tls_verify: { type: boolType, optional: true, description: 'Do not verify the server\'s TLS certificate (testing only).' },
    },
    blocks: {
      auth_login_userpass: {
        nesting: 'single',
        maxItems: 1,
        block: {
          description: 'Log in with userpass when no token is set or the token is refused (a secondary\'s tokens change when it is activated).',
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

/** The Ferry provider: configuration, resources and data sources. */
export class FerryProvider implements Provider<FerryProviderData> {
  constructor(private readonly env: ProviderEnvironment) {}

  metadata() {
    return { typeName: 'ferry', version: providerVersion };
  }

  schema(): Schema {
    return schema;
  }

  validateConfig(config: ObjectValue, diagnostics: Diagnostics): void {
    const address = config['address'];
    if (typeof address === 'string' && !/^https?:\/\/[^/]+/.test(address)) {
      diagnostics.error('Invalid address', `"${address}" is not an http:// or https:// URL.`, attributePath('address'));
    }
  }

  /** Builds the client. Never contacts the server: tokens may only become valid later (secondary activation). */
  async configure(config: ObjectValue, diagnostics: Diagnostics): Promise<FerryProviderData> {
    if (!isWhollyKnown(config)) {
      return { client: undefined, unavailableReason: 'The provider configuration depends on values that are only known after apply.' };
    }
    const address = stringValue(config, 'address') ?? nonEmpty(this.env.FERRY_ADDR) ?? nonEmpty(this.env.VAULT_ADDR);
    if (address === undefined) {
      diagnostics.error('Missing Ferry address', 'Set address in the provider block, or FERRY_ADDR (or VAULT_ADDR) in the environment.', attributePath('address'));
      return { client: undefined, unavailableReason: 'The provider has no address.' };
    }
    let caCertPem: string | undefined;
    const caFile = stringValue(config, 'ca_cert_file');
    if (caFile !== null) {
      try {
        caCertPem = readFileSync(caFile, 'utf8');
      } catch (err) {
        diagnostics.error('Cannot read ca_cert_file', `${caFile}: ${err instanceof Error ? err.message : String(err)}`, attributePath('ca_cert_file'));
        return { client: undefined, unavailableReason: 'The CA certificate file could not be read.' };
      }
    }
    const login = config['auth_login_userpass'];
    let userpass: UserpassLogin | undefined;
    if (isObjectValue(login)) {
      userpass = {
        mount: stringValue(login, 'mount') ?? 'userpass',
        username: stringValue(login, 'username') ?? '',
        password: stringValue(login, 'password') ?? '',
      };
    }
    const token = stringValue(config, 'token') ?? nonEmpty(this.env.FERRY_TOKEN) ?? nonEmpty(this.env.VAULT_TOKEN);
    const client = new FerryClient({
      address,
      token: token === null ? undefined : token,
      caCertPem,
      skipTlsVerify: boolValue(config, 'skip_tls_verify') === true,
      userpass,
      requestTimeoutMs,
    });
    return { client, unavailableReason: '' };
  }

  resources(): ReadonlyArray<Resource<FerryProviderData>> {
    return [
      new ReplicationPrimaryResource(),
      new ReplicationSecondaryTokenResource(),
      new ReplicationSecondaryResource(),
      new MountResource(),
      new AuditResource(),
      new AuthBackendResource(),
      new PolicyResource(),
      new GenericSecretResource(),
    ];
  }

  dataSources(): ReadonlyArray<DataSource<FerryProviderData>> {
    return [new ReplicationStatusDataSource()];
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** The engine the protocol layer drives. */
export function createFerryEngine(env: ProviderEnvironment): ProviderEngine<unknown> {
  return new ProviderEngine<FerryProviderData>(new FerryProvider(env)) as unknown as ProviderEngine<unknown>;
}
