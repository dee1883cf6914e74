variable "ferry_token" {
  description = "A token of the primary. Activation replaces a secondary's tokens with the primary's, so the same token reaches every cluster afterwards (dev mode: start all servers with the same -dev-root-token-id). Pass it as TF_VAR_ferry_token."
  type        = string
  sensitive   = true
}

variable "primary_address" {
  description = "API address of the primary, for example http://127.0.0.1:8200."
  type        = string
}

variable "secondaries" {
  description = "The secondaries by name: API address and the local mounts each keeps for itself. Every name needs a provider alias of the same name in main.tf."
  type = map(object({
    address = string
    local_mounts = optional(map(object({
      type        = optional(string, "kv")
      description = optional(string, "")
    })), {})
  }))
  validation {
    condition     = length(var.secondaries) == 2 && alltrue([for name in ["east", "west"] : contains(keys(var.secondaries), name)])
    error_message = "This example declares provider aliases for exactly the secondaries \"east\" and \"west\"."
  }
}

variable "audit_dir" {
  description = "Directory on the secondaries' host where each writes its local audit log (<name>-audit.log)."
  type        = string
}
