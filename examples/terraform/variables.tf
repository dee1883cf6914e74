variable "ferry_token" {
  description = "A token of the primary, also used on every secondary through its cluster block. Activation replaces a secondary's tokens with the primary's, so the same token reaches every cluster afterwards (dev mode: start all servers with the same -dev-root-token-id). Pass it as TF_VAR_ferry_token."
  type        = string
  sensitive   = true
}

variable "primary_address" {
  description = "API address of the primary, for example http://127.0.0.1:8200."
  type        = string
}

variable "secondaries" {
  description = "The performance secondaries by name (the name is the secondary ID on the primary): API address, optional CA file, whether activation may wipe data the cluster already holds (allow_wipe, default false), the local mounts each keeps for itself, and an optional paths filter (mode allow or deny, mount paths) deciding which of the primary's mounts reach it. Add an entry to add a secondary."
  type = map(object({
    address      = string
    ca_cert_file = optional(string)
    allow_wipe   = optional(bool, false)
    local_mounts = optional(map(object({
      type        = optional(string, "kv")
      description = optional(string, "")
    })), {})
    paths_filter = optional(object({
      mode  = string
      paths = list(string)
    }))
  }))
  validation {
    condition     = alltrue([for s in values(var.secondaries) : can(regex("^https?://", s.address))])
    error_message = "Every secondary address must be an http:// or https:// URL."
  }
}

variable "audit_dir" {
  description = "Directory on the secondaries' host where each writes its local audit log (<name>-audit.log)."
  type        = string
}

variable "dr_secondaries" {
  description = "DR secondaries of the primary by name (the name is the DR secondary ID): API address, optional CA file, allow_wipe. Empty (the default): the primary is not a DR primary."
  type = map(object({
    address      = string
    ca_cert_file = optional(string)
    allow_wipe   = optional(bool, false)
  }))
  default = {}
  validation {
    condition     = alltrue([for s in values(var.dr_secondaries) : can(regex("^https?://", s.address))])
    error_message = "Every DR secondary address must be an http:// or https:// URL."
  }
}
