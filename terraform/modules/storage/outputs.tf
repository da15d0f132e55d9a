output "landing_bucket" {
  description = "Name of the landing bucket (dumps)."
  value       = google_storage_bucket.this["landing"].name
}

output "parquet_bucket" {
  description = "Name of the Parquet bucket (converted dumps + manifests)."
  value       = google_storage_bucket.this["parquet"].name
}

output "compute_logs_bucket" {
  description = "Name of the Dagster compute logs bucket."
  value       = google_storage_bucket.this["dagster-logs"].name
}

output "landing_events_topic" {
  description = "Pub/Sub topic of landing OBJECT_FINALIZE events (null when disabled)."
  value       = one(google_pubsub_topic.landing_events[*].id)
}

output "landing_events_subscription" {
  description = "Pub/Sub subscription of landing events (null when disabled)."
  value       = one(google_pubsub_subscription.landing_events[*].id)
}
