variable "project_id" {
  type        = string
  description = "Project of the buckets."
}

variable "location" {
  type        = string
  description = "Bucket location (same as the BigQuery datasets, so loads are free and in-region)."
}

variable "bucket_names" {
  type        = map(string)
  description = "Bucket names by purpose: landing, parquet, dagster-logs."

  validation {
    condition     = length(setsubtract(["landing", "parquet", "dagster-logs"], keys(var.bucket_names))) == 0
    error_message = "bucket_names needs the keys landing, parquet and dagster-logs."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels of every bucket (plus purpose=<key>)."
}

variable "kms_key_name" {
  type        = string
  description = "Optional CMEK key for the buckets and the notification topic; null for Google-managed keys."
  default     = null
}

variable "landing_noncurrent_version_days" {
  type        = number
  description = "Days a noncurrent (replaced/deleted) landing object is kept."
}

variable "landing_retention_days" {
  type        = number
  description = "Delete landing objects older than this (0: never)."
}

variable "parquet_retention_days" {
  type        = number
  description = "Delete Parquet objects (and manifests) older than this."
}

variable "parquet_nearline_after_days" {
  type        = number
  description = "Move Parquet objects to NEARLINE after this many days (0: never)."
}

variable "compute_logs_retention_days" {
  type        = number
  description = "Delete compute log objects older than this."
}

variable "force_destroy" {
  type        = bool
  description = "Allow `terraform destroy` to delete non-empty buckets."
  default     = false
}

variable "enable_landing_notifications" {
  type        = bool
  description = "Create the Pub/Sub topic, subscription and notification for OBJECT_FINALIZE on the landing bucket."
  default     = false
}

variable "notification_name" {
  type        = string
  description = "Name of the Pub/Sub topic (and subscription) of landing events."
}

variable "runner_member" {
  type        = string
  description = "IAM member of the Dagster runner: reads landing, reads/writes Parquet and compute logs."
}

variable "uploader_member" {
  type        = string
  description = "IAM member of the dump uploader: may only create objects in landing."
}

variable "uploader_source_prefixes" {
  type        = list(string)
  description = "Source names; the uploader may create objects under <source>/ only."
}
