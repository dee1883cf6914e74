variable "secondary_id" {
  description = "Unique ID of this secondary on the primary."
  type        = string
}

variable "cluster_address" {
  description = "API address of this secondary, for example http://127.0.0.1:8300. Changing it replaces every resource on the secondary."
  type        = string
}

variable "cluster_token" {
  description = "Token for this secondary's API: one valid there before activation, and the primary's afterwards (activation replaces the secondary's tokens). May be unknown until apply; a new value is recorded in place."
  type        = string
  sensitive   = true
}

variable "cluster_ca_cert_file" {
  description = "PEM CA file for this secondary's TLS certificate (null: the system CA store)."
  type        = string
  default     = null
}

variable "token_ttl" {
  description = "How long the activation token stays valid before it is used."
  type        = string
  default     = "30m"
}

variable "local_mounts" {
  description = "Mounts kept on this secondary only, by path."
  type = map(object({
    type        = optional(string, "kv")
    description = optional(string, "")
  }))
  default = {}
}

variable "audit_file_path" {
  description = "File the secondary's local audit device writes to (null: no audit device)."
  type        = string
  default     = null
}

variable "allow_wipe" {
  description = "Allow activating a cluster that already holds data of its own (activation wipes it)."
  type        = bool
  default     = false
}

variable "paths_filter" {
  description = "Which of the primary's mounts reach this secondary: mode allow (only these paths) or deny (all but these), and the mount paths. Null: everything. Changing it updates the filter on the primary in place."
  type = object({
    mode  = string
    paths = list(string)
  })
  default = null
  validation {
    condition     = var.paths_filter == null || contains(["allow", "deny"], try(var.paths_filter.mode, ""))
    error_message = "paths_filter.mode must be allow or deny."
  }
}
