# Disaster recovery: DR twins of the primary. A DR secondary receives everything the primary holds, tokens
# and leases included, and answers no client request (only status, health and the DR operation paths)
# until an operator promotes it. Promotion is deliberately not a resource: it is the runbook in the
# README's "Disaster recovery" section (ferry operator generate-root -dr-token, then promote).
# The primary is a performance primary and a DR primary at once.

resource "ferry_dr_primary" "this" {
  count = length(var.dr_secondaries) > 0 ? 1 : 0
}

resource "ferry_dr_secondary_token" "this" {
  for_each     = var.dr_secondaries
  secondary_id = each.key
  depends_on   = [ferry_dr_primary.this]
}

# Activation WIPES the DR secondary's own data. Disabling a DR secondary needs a DR operation token (Vault's
# rule): without dr_operation_token, destroying this resource only removes it from the state (the plan
# warns) and the cluster stays a DR secondary.
resource "ferry_dr_secondary" "this" {
  for_each   = var.dr_secondaries
  token      = ferry_dr_secondary_token.this[each.key].token
  allow_wipe = each.value.allow_wipe

  cluster {
    address      = each.value.address
    token        = var.ferry_token
    ca_cert_file = each.value.ca_cert_file
  }
}
