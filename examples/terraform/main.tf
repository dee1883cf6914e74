# One primary and any number of performance secondaries (dr.tf: and of DR secondaries). The provider is configured for the primary only. Each
# secondary is one instance of ./modules/secondary, created with for_each over var.secondaries; its
# resources reach their cluster through the per-resource `cluster` block (Terraform cannot create a
# provider configuration per for_each instance, and a module called with for_each cannot hold one).

provider "ferry" {
  address = var.primary_address
  token   = var.ferry_token
}

resource "ferry_replication_primary" "this" {}

# Replicated: lives on the primary and streams to every secondary.
resource "ferry_mount" "apps" {
  path        = "apps"
  type        = "kv"
  description = "replicated to every secondary"
  depends_on  = [ferry_replication_primary.this]
}

resource "ferry_policy" "apps_reader" {
  name   = "apps-reader"
  policy = <<-EOT
    path "apps/*" {
      capabilities = ["read", "list"]
    }
  EOT
}

module "secondary" {
  source   = "./modules/secondary"
  for_each = var.secondaries

  secondary_id         = each.key
  cluster_address      = each.value.address
  cluster_token        = var.ferry_token
  cluster_ca_cert_file = each.value.ca_cert_file
  local_mounts         = each.value.local_mounts
  allow_wipe           = each.value.allow_wipe
  audit_file_path      = "${var.audit_dir}/${each.key}-audit.log"
  paths_filter         = each.value.paths_filter
  depends_on           = [ferry_replication_primary.this]
}
