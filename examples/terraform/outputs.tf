output "primary_cluster_id" {
  value = ferry_replication_primary.this.cluster_id
}

output "secondary_states" {
  description = "Replication state per secondary; stream-wals when healthy."
  value       = { for name, secondary in module.secondary : name => secondary.state }
}

output "dr_secondary_states" {
  description = "DR replication state per DR secondary; stream-wals when healthy."
  value       = { for name, secondary in ferry_dr_secondary.this : name => secondary.state }
}
