output "cluster_id" {
  value = ferry_replication_secondary.this.cluster_id
}

output "state" {
  description = "Replication state, stream-wals when healthy."
  value       = ferry_replication_secondary.this.state
}
