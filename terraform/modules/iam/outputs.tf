output "runner_email" {
  description = "Email of the Dagster runner service account (attached to the Dagster VM)."
  value       = local.emails["runner"]
  depends_on  = [google_service_account.this]
}

output "runner_member" {
  description = "IAM member string of the Dagster runner."
  value       = "serviceAccount:${local.emails["runner"]}"
  depends_on  = [google_service_account.this]
}

output "uploader_email" {
  description = "Email of the dump uploader service account (give its key or workload identity to the export jobs)."
  value       = local.emails["uploader"]
  depends_on  = [google_service_account.this]
}

output "uploader_member" {
  description = "IAM member string of the dump uploader."
  value       = "serviceAccount:${local.emails["uploader"]}"
  depends_on  = [google_service_account.this]
}

output "reader_email" {
  description = "Email of the ML reader service account."
  value       = local.emails["reader"]
  depends_on  = [google_service_account.this]
}

output "reader_member" {
  description = "IAM member string of the ML reader."
  value       = "serviceAccount:${local.emails["reader"]}"
  depends_on  = [google_service_account.this]
}
