/**
 * The hand-written parts of the registry-format docs (provider/docs/): one HCL example per resource and data
 * source, and each resource's import ID. Everything else in those pages is generated from the schema's
 * descriptions by docs-generator.ts, which refuses a resource or data source missing here.
 */
export interface ResourceDocExtras {
  example: string;
  /** What the import ID is, and a `terraform import` command line. */
  importId: string;
  importCommand: string;
}

export const providerExample = `terraform {
  required_providers {
    ferry = {
      source  = "ferry-project/ferry"
      version = "~> 0.1"
    }
  }
}

provider "ferry" {
  address = "https://ferry.example.internal:8200" # or FERRY_ADDR / VAULT_ADDR
  token   = var.ferry_token                       # or FERRY_TOKEN / VAULT_TOKEN
}

# A replication secondary's tokens are replaced when it is activated: log in with a user defined on the
# primary (userpass replicates) so the same configuration keeps working afterwards.
provider "ferry" {
  alias   = "east"
  address = "https://ferry-east.example.internal:8200"
  auth_login_userpass {
    username = "terraform"
    password = var.terraform_password
  }
}`;

export const resourceDocs: Record<string, ResourceDocExtras> = {
  ferry_replication_primary: {
    example: `resource "ferry_replication_primary" "this" {}`,
    importId: 'Any string: the primary is the cluster the provider (or the `cluster` block) points at.',
    importCommand: 'terraform import ferry_replication_primary.this primary',
  },
  ferry_replication_secondary_token: {
    example: `resource "ferry_replication_secondary_token" "east" {
  secondary_id = "east"
  depends_on   = [ferry_replication_primary.this]
}`,
    importId: 'The secondary ID. The token itself cannot be read back and imports as `""`.',
    importCommand: 'terraform import ferry_replication_secondary_token.east east',
  },
  ferry_replication_secondary: {
    example: `# Activating a secondary WIPES the target cluster; apply refuses a cluster holding data unless
# allow_wipe = true.
resource "ferry_replication_secondary" "east" {
  provider = ferry.east
  token    = ferry_replication_secondary_token.east.token
}`,
    importId:
      'Any string: the secondary is the cluster the provider (or the `cluster` block) points at. `token`, `primary_api_addr` and `ca_file` import as `""`.',
    importCommand: 'terraform import ferry_replication_secondary.east secondary',
  },
  ferry_replication_paths_filter: {
    example: `# The "eu" performance secondary never receives secret-eu/ (not in the WAL stream, the bootstrap or a
# Merkle sync). Changing mode or paths updates the filter in place; destroying it ships everything again.
resource "ferry_replication_paths_filter" "eu" {
  secondary_id = ferry_replication_secondary_token.eu.secondary_id
  mode         = "deny"
  paths        = ["secret-eu/"]
}`,
    importId: 'The secondary ID the filter applies to.',
    importCommand: 'terraform import ferry_replication_paths_filter.eu eu',
  },
  ferry_dr_primary: {
    example: `# A cluster can be a performance primary and a DR primary at once.
resource "ferry_dr_primary" "this" {}`,
    importId: 'Any string: the DR primary is the cluster the provider (or the `cluster` block) points at.',
    importCommand: 'terraform import ferry_dr_primary.this primary',
  },
  ferry_dr_secondary_token: {
    example: `resource "ferry_dr_secondary_token" "dr" {
  secondary_id = "dr"
  depends_on   = [ferry_dr_primary.this]
}`,
    importId: 'The DR secondary ID. The token itself cannot be read back and imports as `""`.',
    importCommand: 'terraform import ferry_dr_secondary_token.dr dr',
  },
  ferry_dr_secondary: {
    example: `# Activating a DR secondary WIPES the target cluster; from then on it answers no client request until an
# operator promotes it (ferry operator generate-root -dr-token, then sys/replication/dr/secondary/promote).
resource "ferry_dr_secondary" "dr" {
  provider = ferry.dr
  token    = ferry_dr_secondary_token.dr.token
}`,
    importId:
      'Any string: the DR secondary is the cluster the provider (or the `cluster` block) points at. `token`, `primary_api_addr` and `ca_file` import as `""`.',
    importCommand: 'terraform import ferry_dr_secondary.dr secondary',
  },
  ferry_mount: {
    example: `resource "ferry_mount" "shared" {
  path = "kv-shared"
  type = "kv-v2"
}

# A mount on a secondary must be local (it is not replicated).
resource "ferry_mount" "east_local" {
  provider = ferry.east
  path     = "kv-east"
  type     = "kv"
  local    = true
}`,
    importId: "The mount path. Append `@ADDRESS` to import from a cluster other than the provider's.",
    importCommand: 'terraform import ferry_mount.shared kv-shared',
  },
  ferry_audit: {
    example: `resource "ferry_audit" "file" {
  path = "file"
  type = "file"
  options = {
    file_path = "/var/log/ferry/audit.log"
  }
}`,
    importId: 'The audit device path.',
    importCommand: 'terraform import ferry_audit.file file',
  },
  ferry_auth_backend: {
    example: `resource "ferry_auth_backend" "userpass" {
  path = "userpass"
  type = "userpass"
}`,
    importId: "The auth method's mount path.",
    importCommand: 'terraform import ferry_auth_backend.userpass userpass',
  },
  ferry_policy: {
    example: `resource "ferry_policy" "apps_reader" {
  name   = "apps-reader"
  policy = <<-EOT
    path "kv-shared/data/apps/*" {
      capabilities = ["read", "list"]
    }
  EOT
}`,
    importId: 'The policy name.',
    importCommand: 'terraform import ferry_policy.apps_reader apps-reader',
  },
  ferry_generic_secret: {
    example: `resource "ferry_generic_secret" "app" {
  path = "\${ferry_mount.shared.path}/app"
  data_json = jsonencode({
    username = "app"
    password = var.app_password
  })
}`,
    importId: 'The secret path, mount included.',
    importCommand: 'terraform import ferry_generic_secret.app kv-shared/app',
  },
  ferry_transit_secret_backend_key: {
    example: `resource "ferry_mount" "transit" {
  path = "transit"
  type = "transit"
}

# Keys replicate: a ciphertext made on the primary decrypts on every secondary.
resource "ferry_transit_secret_backend_key" "orders" {
  backend                = ferry_mount.transit.path
  name                   = "orders"
  type                   = "aes256-gcm96"
  min_decryption_version = 1
  deletion_allowed       = true
}`,
    importId: '`<backend>/keys/<name>`: the transit mount path, `/keys/`, and the key name.',
    importCommand: 'terraform import ferry_transit_secret_backend_key.orders transit/keys/orders',
  },
  ferry_approle_auth_backend_role: {
    example: `resource "ferry_auth_backend" "approle" {
  path = "approle"
  type = "approle"
}

resource "ferry_approle_auth_backend_role" "web" {
  backend            = ferry_auth_backend.approle.path
  role_name          = "web"
  token_policies     = ["apps-reader"]
  token_ttl          = 1200
  token_max_ttl      = 3600
  secret_id_ttl      = 600
  secret_id_num_uses = 0
}`,
    importId: '`auth/<backend>/role/<role_name>`, as terraform-provider-vault imports `vault_approle_auth_backend_role`.',
    importCommand: 'terraform import ferry_approle_auth_backend_role.web auth/approle/role/web',
  },
};

export const dataSourceExamples: Record<string, string> = {
  ferry_replication_status: `# Readable without a token: handy to wait for or report a secondary's state.
data "ferry_replication_status" "east" {
  provider = ferry.east
}

output "east_state" {
  value = data.ferry_replication_status.east.state
}`,
};
