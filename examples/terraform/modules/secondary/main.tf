# A replication secondary: an activation token minted on the primary (ferry.primary), the activation
# of this cluster with it (ferry.secondary), and what stays local to this cluster.

resource "ferry_replication_secondary_token" "this" {
  provider     = ferry.primary
  secondary_id = var.secondary_id
  ttl          = var.token_ttl
}

# Activation WIPES the secondary's own data and adopts the primary's. The token is passed by
# reference: it exists only in Terraform state, never in the configuration.
resource "ferry_replication_secondary" "this" {
  provider   = ferry.secondary
  token      = ferry_replication_secondary_token.this.token
  allow_wipe = var.allow_wipe
}

# Mounts created on a secondary must be local: they are not replicated, and the primary never sees them.
resource "ferry_mount" "local" {
  for_each    = var.local_mounts
  provider    = ferry.secondary
  path        = each.key
  type        = each.value.type
  description = each.value.description
  local       = true
  depends_on  = [ferry_replication_secondary.this]
}

resource "ferry_audit" "local" {
  count      = var.audit_file_path == null ? 0 : 1
  provider   = ferry.secondary
  path       = "${var.secondary_id}-audit"
  type       = "file"
  local      = true
  options    = { file_path = var.audit_file_path }
  depends_on = [ferry_replication_secondary.this]
}
