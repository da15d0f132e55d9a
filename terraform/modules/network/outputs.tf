output "network_self_link" {
  description = "Self link of the VPC."
  value       = google_compute_network.vpc.self_link
}

output "subnetwork_self_link" {
  description = "Self link of the subnet holding the Dagster VM."
  value       = google_compute_subnetwork.main.self_link
}

output "private_service_access_network" {
  description = "VPC id, available only once private service access is connected (use it for Cloud SQL's private_network so the dependency is implicit)."
  value       = google_service_networking_connection.private_service_access.network
}

output "dagster_vm_tag" {
  description = "Network tag the IAP firewall rule targets."
  value       = local.dagster_vm_tag
}
