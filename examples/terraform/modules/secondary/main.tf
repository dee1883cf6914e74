# A replication secondary: an activation token minted on the primary (the provider's cluster), the
# activation of this secondary with it, and what stays local to this secondary. Everything aimed at the
# secondary carries a `cluster` block, so the module needs no provider configuration of its own and can
# be instantiated with for_each. Changing cluster_address replaces every resource aimed at the secondary
# (they live on the other cluster); a new cluster_token is recorded in place.

resource "ferry_replication_secondary_token" "this" {
  secondary_id = var.secondary_id
  ttl          = var.token_ttl
}

# The paths filter lives on the primary (no cluster block). It is written before activation, so filtered
# mounts never reach the secondary, not even in the bootstrap.
resource "ferry_replication_paths_filter" "this" {
  count        = var.paths_filter == null ? 0 : 1
  secondary_id = ferry_replication_secondary_token.this.secondary_id
  mode         = var.paths_filter.mode
  paths        = var.paths_filter.paths
}

# Activation WIPES the secondary's own data and adopts the primary's. The token is passed by
# reference: it exists only in Terraform state, never in the configuration.
resource "ferry_replication_secondary" "this" {
  token      = ferry_replication_secondary_token.this.token
  allow_wipe = var.allow_wipe
  depends_on = [ferry_replication_paths_filter.this]

  cluster {
    address      = var.cluster_address
    token        = var.cluster_token
    ca_cert_file = var.cluster_ca_cert_file
  }
}

# Mounts created on a secondary must be local: they are not replicated, and the primary never sees them.
resource "ferry_mount" "local" {
  for_each    = var.local_mounts
  path        = each.key
  type        = each.value.type
  description = each.value.description
  local       = true
  depends_on  = [ferry_replication_secondary.this]

  cluster {
    address      = var.cluster_address
    token        = var.cluster_token
    ca_cert_file = var.cluster_ca_cert_file
  }
}

resource "ferry_audit" "local" {
  count      = var.audit_file_path == null ? 0 : 1
  path       = "${var.secondary_id}-audit"
  type       = "file"
  local      = true
  options    = { file_path = var.audit_file_path }
  depends_on = [ferry_replication_secondary.this]

  cluster {
    address      = var.cluster_address
    token        = var.cluster_token
    ca_cert_file = var.cluster_ca_cert_file
  }
}
