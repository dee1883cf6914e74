variable "secondary_id" {
  description = "Unique ID of this secondary on the primary."
  type        = string
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
