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

output "alert_secret_ids" {
  description = "Full ids of the optional alert secrets, by the variable each holds."
  value = {
    ELT_ALERT_WEBHOOK_URL   = google_secret_manager_secret.this["alert_webhook_url"].id
    ELT_ALERT_SMTP_PASSWORD = google_secret_manager_secret.this["alert_smtp_password"].id
  }
}
