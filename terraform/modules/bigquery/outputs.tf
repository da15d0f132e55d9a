output "dataset_ids" {
  description = "Dataset ids by layer (raw, staging, marts)."
  value       = { for k, d in google_bigquery_dataset.this : k => d.dataset_id }
}
