output "primary_cluster_id" {
  value = ferry_replication_primary.this.cluster_id
}

output "secondary_states" {
  description = "Replication state per secondary; stream-wals when healthy."
  value       = { for name, secondary in module.secondary : name => secondary.state }
}
