output "pipeline_env" {
  description = "Non-secret environment variables of the pipeline and Dagster in gcp mode (elt_pipeline/settings.py, dagster.yaml). The VM gets exactly these; use them for a local run against the project too."
  value       = module.dagster_runtime.env
}

output "secret_env" {
  description = "Environment variables read from Secret Manager, by secret id (values are never in Terraform)."
  value = {
    ELT_HASH_SALT       = module.secrets.hash_salt_secret_id
    DAGSTER_PG_PASSWORD = module.secrets.dagster_pg_password_secret_id
  }
}

output "landing_bucket" {
  description = "Landing bucket: dumps go to gs://<bucket>/<source>/<YYYY-MM-DD>/<name>.sql[.gz]."
  value       = module.storage.landing_bucket
}

output "parquet_bucket" {
  description = "Parquet bucket (converted dumps + manifests)."
  value       = module.storage.parquet_bucket
}

output "compute_logs_bucket" {
  description = "Dagster compute logs bucket (DAGSTER_COMPUTE_LOGS_BUCKET)."
  value       = module.storage.compute_logs_bucket
}

output "datasets" {
  description = "BigQuery dataset ids by layer (raw, staging, marts)."
  value       = module.bigquery.dataset_ids
}

output "bq_location" {
  description = "BigQuery location (ELT_BQ_LOCATION)."
  value       = var.bq_location
}

output "service_accounts" {
  description = "Service account emails: runner (Dagster VM), uploader (MySQL export jobs), reader (ML jobs)."
  value = {
    runner   = module.iam.runner_email
    uploader = module.iam.uploader_email
    reader   = module.iam.reader_email
  }
}

output "hash_salt_secret" {
  description = "Secret Manager secret id of ELT_HASH_SALT (add a version out of band)."
  value       = module.secrets.hash_salt_secret_name
}

output "dagster_pg_password_secret" {
  description = "Secret Manager secret id of DAGSTER_PG_PASSWORD (add a version, then set the SQL user's password)."
  value       = module.secrets.dagster_pg_password_secret_name
}

output "cloudsql_instance" {
  description = "Cloud SQL instance name of the Dagster storage."
  value       = module.dagster_runtime.cloudsql_instance_name
}

output "cloudsql_connection_name" {
  description = "Cloud SQL connection name (for the Cloud SQL Auth Proxy, if you use one)."
  value       = module.dagster_runtime.cloudsql_connection_name
}

output "dagster_vm" {
  description = "Name and zone of the Dagster VM."
  value = {
    name = module.dagster_runtime.vm_name
    zone = module.dagster_runtime.vm_zone
  }
}

output "dagster_ui_tunnel_command" {
  description = "Opens the Dagster UI on http://localhost:3000 through IAP."
  value       = "gcloud compute start-iap-tunnel ${module.dagster_runtime.vm_name} 3000 --local-host-port=localhost:3000 --zone=${module.dagster_runtime.vm_zone} --project=${var.project_id}"
}

output "image" {
  description = "Container image the Dagster VM runs."
  value       = module.dagster_runtime.image
}

output "artifact_registry_repository" {
  description = "Where to push the code location image."
  value       = module.dagster_runtime.artifact_registry_repository
}

output "landing_events_subscription" {
  description = "Pub/Sub subscription of landing OBJECT_FINALIZE events (null unless enable_landing_notifications)."
  value       = module.storage.landing_events_subscription
}
