output "hash_salt_secret_id" {
  description = "Full id (projects/<number>/secrets/<id>) of the hashing salt secret."
  value       = google_secret_manager_secret.this["hash_salt"].id
}

output "hash_salt_secret_name" {
  description = "Short id of the hashing salt secret."
  value       = google_secret_manager_secret.this["hash_salt"].secret_id
}

output "dagster_pg_password_secret_id" {
  description = "Full id of the Dagster Postgres password secret."
  value       = google_secret_manager_secret.this["dagster_pg_password"].id
}

output "dagster_pg_password_secret_name" {
  description = "Short id of the Dagster Postgres password secret."
  value       = google_secret_manager_secret.this["dagster_pg_password"].secret_id
}
