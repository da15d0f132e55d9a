output "env" {
  description = "Non-secret environment of the pipeline and Dagster on the VM."
  value       = local.env
}

output "cloudsql_instance_name" {
  description = "Cloud SQL instance name."
  value       = google_sql_database_instance.dagster.name
}

output "cloudsql_connection_name" {
  description = "Cloud SQL connection name (project:region:instance)."
  value       = google_sql_database_instance.dagster.connection_name
}

output "cloudsql_private_ip" {
  description = "Private IP of the Dagster Postgres (DAGSTER_PG_HOST)."
  value       = google_sql_database_instance.dagster.private_ip_address
}

output "db_name" {
  description = "Dagster database name (DAGSTER_PG_DB)."
  value       = google_sql_database.dagster.name
}

output "db_user" {
  description = "Dagster database user (DAGSTER_PG_USER)."
  value       = google_sql_user.dagster.name
}

output "vm_name" {
  description = "Name of the Dagster VM."
  value       = google_compute_instance.dagster.name
}

output "vm_zone" {
  description = "Zone of the Dagster VM."
  value       = google_compute_instance.dagster.zone
}

output "image" {
  description = "Container image the VM runs."
  value       = local.image
}

output "artifact_registry_repository" {
  description = "Docker repository for the code location image (<host>/<project>/<repo>)."
  value       = "${local.registry_host}/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "vm_instance_id" {
  description = "Numeric instance id of the Dagster VM (label of its metrics and logs)."
  value       = google_compute_instance.dagster.instance_id
}
