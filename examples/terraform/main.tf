# One primary and two secondaries. Terraform (up to 1.11 at least) cannot create provider
# configurations with for_each, so every cluster gets a provider alias of its own here, and each
# secondary is one instance of ./modules/secondary fed from the var.secondaries map.

provider "ferry" {
  alias   = "primary"
  address = var.primary_address
  token   = var.ferry_token
}

provider "ferry" {
  alias   = "east"
  address = var.secondaries["east"].address
  token   = var.ferry_token
}

provider "ferry" {
  alias   = "west"
  address = var.secondaries["west"].address
  token   = var.ferry_token
}

resource "ferry_replication_primary" "this" {
  provider = ferry.primary
}

# Replicated: lives on the primary and streams to every secondary.
resource "ferry_mount" "apps" {
  provider    = ferry.primary
  path        = "apps"
  type        = "kv"
  description = "replicated to every secondary"
  depends_on  = [ferry_replication_primary.this]
}

resource "ferry_policy" "apps_reader" {
  provider = ferry.primary
  name     = "apps-reader"
  policy   = <<-EOT
    path "apps/*" {
      capabilities = ["read", "list"]
    }
  EOT
}

module "east" {
  source = "./modules/secondary"
  providers = {
    ferry.primary   = ferry.primary
    ferry.secondary = ferry.east
  }
  secondary_id    = "east"
  local_mounts    = var.secondaries["east"].local_mounts
  audit_file_path = "${var.audit_dir}/east-audit.log"
  depends_on      = [ferry_replication_primary.this]
}

module "west" {
  source = "./modules/secondary"
  providers = {
    ferry.primary   = ferry.primary
    ferry.secondary = ferry.west
  }
  secondary_id    = "west"
  local_mounts    = var.secondaries["west"].local_mounts
  audit_file_path = "${var.audit_dir}/west-audit.log"
  depends_on      = [ferry_replication_primary.this]
}
