import { Construct } from 'constructs';
import { LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { Audit } from '../../../provider/bindings/providers/ferry/audit';
import { Mount } from '../../../provider/bindings/providers/ferry/mount';
import { Policy } from '../../../provider/bindings/providers/ferry/policy';
import { DrPrimary } from '../../../provider/bindings/providers/ferry/dr-primary';
import { DrSecondary } from '../../../provider/bindings/providers/ferry/dr-secondary';
import { DrSecondaryToken } from '../../../provider/bindings/providers/ferry/dr-secondary-token';
import { FerryProvider } from '../../../provider/bindings/providers/ferry/provider';
import { ReplicationPathsFilter } from '../../../provider/bindings/providers/ferry/replication-paths-filter';
import { ReplicationPrimary } from '../../../provider/bindings/providers/ferry/replication-primary';
import { ReplicationSecondary } from '../../../provider/bindings/providers/ferry/replication-secondary';
import { ReplicationSecondaryToken } from '../../../provider/bindings/providers/ferry/replication-secondary-token';

/** Which of the primary's mounts reach one performance secondary (Vault's paths filter). */
export interface PathsFilterConfig {
  readonly mode: 'allow' | 'deny';
  readonly paths: readonly string[];
}

/**
 * The topology: one primary, the names of its performance secondaries and of its DR secondaries (each
 * becomes a provider alias and a `<name>_address` variable), and paths filters by performance secondary.
 */
export interface ReplicationTopologyConfig {
  readonly secondaries: readonly string[];
  readonly pathsFilters?: Readonly<Record<string, PathsFilterConfig>>;
  readonly drSecondaries?: readonly string[];
}

/**
 * One primary and N secondaries, each cluster reached through its own `ferry` provider alias.
 *
 * On the primary: replication enabled, a replicated KV mount `apps` and a policy `apps-reader`.
 * Per secondary: an activation token minted on the primary, the activation (it takes the token by
 * reference, so the token only ever exists in Terraform state), a local KV mount `<name>-local` and a
 * local file audit device `<name>-audit` — neither leaves that secondary.
 *
 * A paths filter for a secondary is written on the primary before that secondary is activated, so the
 * filtered mounts never reach it. DR secondaries (tokens on the primary, which becomes a DR primary too;
 * activation wipes them) receive everything and answer no client request until an operator promotes
 * one: promotion is the README's runbook, not a resource.
 *
 * Inputs are Terraform variables, so the synthesized JSON holds no address or secret:
 * `primary_address`, `<name>_address` per secondary, `audit_dir`, and `ferry_token` (sensitive; pass it
 * as `TF_VAR_ferry_token`). Activation replaces a secondary's tokens with the primary's, so `ferry_token`
 * must be a token of the primary (in dev mode: start every server with the same `-dev-root-token-id`).
 */
export class ReplicationTopologyStack extends TerraformStack {
  constructor(scope: Construct, id: string, config: ReplicationTopologyConfig) {
    super(scope, id);
    // Relative to the synthesized stack folder; the default would write an absolute path into cdk.tf.json.
    new LocalBackend(this, { path: 'terraform.tfstate' });

    const token = new TerraformVariable(this, 'ferry_token', {
      type: 'string',
      sensitive: true,
      description: "A token of the primary (after activation the secondaries accept the primary's tokens).",
    });
    const auditDir = new TerraformVariable(this, 'audit_dir', {
      type: 'string',
      description: 'Directory where each secondary writes its local audit log.',
    });
    const primaryAddress = new TerraformVariable(this, 'primary_address', { type: 'string', description: 'API address of the primary.' });

    const primaryProvider = new FerryProvider(this, 'primary_provider', {
      alias: 'primary',
      address: primaryAddress.stringValue,
      token: token.stringValue,
    });
    const primary = new ReplicationPrimary(this, 'primary', { provider: primaryProvider });
    new Mount(this, 'apps', {
      provider: primaryProvider,
      path: 'apps',
      type: 'kv',
      description: 'replicated to every secondary',
      dependsOn: [primary],
    });
    new Policy(this, 'apps_reader', {
      provider: primaryProvider,
      name: 'apps-reader',
      policy: 'path "apps/*" {\n  capabilities = ["read", "list"]\n}\n',
    });
    new TerraformOutput(this, 'primary_cluster_id', { value: primary.clusterId });

    for (const name of config.secondaries) {
      const address = new TerraformVariable(this, `${name}_address`, { type: 'string', description: `API address of the secondary ${name}.` });
      const provider = new FerryProvider(this, `${name}_provider`, { alias: name, address: address.stringValue, token: token.stringValue });
      const activationToken = new ReplicationSecondaryToken(this, `${name}_activation_token`, {
        provider: primaryProvider,
        secondaryId: name,
        dependsOn: [primary],
      });
      const filter = config.pathsFilters?.[name];
      const pathsFilter =
        filter === undefined
          ? undefined
          : new ReplicationPathsFilter(this, `${name}_paths_filter`, {
              provider: primaryProvider,
              secondaryId: activationToken.secondaryId,
              mode: filter.mode,
              paths: [...filter.paths],
            });
      const secondary = new ReplicationSecondary(this, `${name}_secondary`, {
        provider,
        token: activationToken.token,
        dependsOn: pathsFilter === undefined ? [] : [pathsFilter],
      });
      new Mount(this, `${name}_local_mount`, {
        provider,
        path: `${name}-local`,
        type: 'kv',
        local: true,
        description: `stays on ${name}`,
        dependsOn: [secondary],
      });
      new Audit(this, `${name}_local_audit`, {
        provider,
        path: `${name}-audit`,
        type: 'file',
        local: true,
        options: { file_path: `${auditDir.stringValue}/${name}-audit.log` },
        dependsOn: [secondary],
      });
      new TerraformOutput(this, `${name}_state`, { value: secondary.state });
    }

    const drSecondaries = config.drSecondaries ?? [];
    if (drSecondaries.length === 0) return;
    const drPrimary = new DrPrimary(this, 'dr_primary', { provider: primaryProvider });
    for (const name of drSecondaries) {
      const address = new TerraformVariable(this, `${name}_address`, { type: 'string', description: `API address of the DR secondary ${name}.` });
      const provider = new FerryProvider(this, `${name}_provider`, { alias: name, address: address.stringValue, token: token.stringValue });
      const activationToken = new DrSecondaryToken(this, `${name}_dr_activation_token`, {
        provider: primaryProvider,
        secondaryId: name,
        dependsOn: [drPrimary],
      });
      const drSecondary = new DrSecondary(this, `${name}_dr_secondary`, { provider, token: activationToken.token });
      new TerraformOutput(this, `${name}_dr_state`, { value: drSecondary.state });
    }
  }
}
