import { readFileSync } from 'node:fs';
import type { UserpassLogin } from '../client/ferry-client.js';
import type { AttributePath, Diagnostics } from '../framework/diagnostics.js';
import type { NestedBlockSchema } from '../framework/schema.js';
import { boolType, stringType } from '../framework/value-type.js';
import { isObjectValue, isWhollyKnown, unknown, type ObjectValue, type Value } from '../framework/values.js';
import { boolValue, stringValue } from './attribute-values.js';
import type { FerryProviderData } from './provider-data.js';

/** The name of the nested block every resource and data source carries. */
export const clusterBlockName = 'cluster';

/** Addresses are http:// or https:// URLs; shared by the provider block and the `cluster` block. */
export function addressValidator(value: Value, path: AttributePath, diagnostics: Diagnostics): void {
  if (typeof value === 'string' && !/^https?:\/\/[^/]+/.test(value)) {
    diagnostics.error('Invalid address', `"${value}" is not an http:// or https:// URL.`, path);
  }
}

/**
 * `cluster { ... }`: the cluster one resource acts on, when it is not the provider's. Same meaning as the
 * provider block's arguments. Terraform cannot create provider configurations per `for_each` instance; a
 * module instantiated with `for_each` can aim its resources at a different cluster each with this block.
 */
export const clusterBlock: NestedBlockSchema = {
  nesting: 'single', // resource schemas: Terraform requires MinItems = MaxItems (0) for single nesting
  block: {
    description:
      "Act on this cluster instead of the provider's (for example from a module instantiated with for_each). Changing address replaces the resource; changing credentials does not. The credentials are kept in state: refresh and destroy need them without the configuration.",
    attributes: {
      address: {
        type: stringType,
        required: true,
        validators: [addressValidator],
        description: 'URL of the Ferry server, for example http://127.0.0.1:8300. Changing it replaces the resource (the object lives on the other cluster).',
      },
      token: {
        type: stringType,
        optional: true,
        sensitive: true,
        description:
          "Token for API calls on this cluster; may be unknown during plan. Without token and auth_login_userpass, the provider's credentials are used.",
      },
      ca_cert_file: {
        type: stringType,
        optional: true,
        description: "PEM file with the CA that signed this cluster's TLS certificate (not inherited from the provider).",
      },
      skip_tls_verify: { type: boolType, optional: true, description: "Do not verify this cluster's TLS certificate (testing only)." },
    },
    blocks: {
      auth_login_userpass: {
        nesting: 'single',
        block: {
          description: 'Log in with userpass on this cluster when no token is set or the token is refused.',
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

/** Reads an `auth_login_userpass` block (of the provider or of a `cluster` block). */
export function userpassLogin(block: Value | undefined): UserpassLogin | undefined {
  if (!isObjectValue(block)) return undefined;
  return {
    mount: stringValue(block, 'mount') ?? 'userpass',
    username: stringValue(block, 'username') ?? '',
    password: stringValue(block, 'password') ?? '',
  };
}

/**
 * The provider data an operation on `object` uses: the provider's own when the object has no `cluster`
 * block, else a copy aimed at the block's cluster with a client from the shared cache. Never contacts the
 * server; a block that is not wholly known (plan time) yields no client, only the address when known.
 */
export function resolveClusterTarget(object: ObjectValue | null, provider: FerryProviderData): FerryProviderData {
  const cluster = object?.[clusterBlockName];
  if (!isObjectValue(cluster)) return provider;
  const address = stringValue(cluster, 'address') ?? undefined;
  const target = (reason: string): FerryProviderData => ({ ...provider, client: undefined, address, unavailableReason: reason });
  if (address === undefined) return target("The cluster block's address is only known after apply.");
  if (!isWhollyKnown(cluster)) return target(`The cluster block for ${address} depends on values that are only known after apply.`);
  let token = stringValue(cluster, 'token') ?? undefined;
  let userpass = userpassLogin(cluster['auth_login_userpass']);
  if (token === undefined && userpass === undefined) {
    if (provider.credentials === undefined) {
      return target(`The cluster block for ${address} has no token or auth_login_userpass, and the provider's credentials are only known after apply.`);
    }
    ({ token, userpass } = provider.credentials);
  }
  let caCertPem: string | undefined;
  const caFile = stringValue(cluster, 'ca_cert_file');
  if (caFile !== null) {
    try {
      caCertPem = readFileSync(caFile, 'utf8');
    } catch (err) {
      return target(`Cannot read ca_cert_file ${caFile} for the cluster at ${address}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const client = provider.clients.clientFor({
    address,
    token,
    caCertPem,
    skipTlsVerify: boolValue(cluster, 'skip_tls_verify') === true,
    userpass,
    requestTimeoutMs: provider.requestTimeoutMs,
  });
  return { ...provider, client, address, unavailableReason: '' };
}

const normalize = (address: string): string => address.replace(/\/+$/, '');

/**
 * Where a plan must replace the resource because its target cluster changes: `cluster.address` when both
 * states carry the block and the address differs (or is unknown); the whole block when it is added or
 * removed, unless its address is the provider's own (the object stays where it is).
 */
export function clusterReplacementPath(prior: ObjectValue, planned: ObjectValue, providerAddress: string | undefined): AttributePath | undefined {
  const before = prior[clusterBlockName];
  const after = planned[clusterBlockName];
  const addressOf = (block: Value | undefined): Value => (isObjectValue(block) ? (block['address'] ?? null) : block === unknown ? unknown : null);
  const a = addressOf(before);
  const b = addressOf(after);
  if (isObjectValue(before) && isObjectValue(after)) {
    if (typeof a === 'string' && typeof b === 'string' && normalize(a) === normalize(b)) return undefined;
    return [{ attribute: clusterBlockName }, { attribute: 'address' }];
  }
  if (!isObjectValue(before) && !isObjectValue(after) && before !== unknown && after !== unknown) return undefined;
  const resolved = [a, b].map((x) => (x === null ? providerAddress : typeof x === 'string' ? x : undefined));
  const [x, y] = resolved;
  if (x !== undefined && y !== undefined && normalize(x) === normalize(y)) return undefined;
  return [{ attribute: clusterBlockName }];
}
