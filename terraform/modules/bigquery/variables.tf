variable "project_id" {
  type        = string
  description = "Project of the datasets."
}

variable "location" {
  type        = string
  description = "BigQuery location of every dataset (ELT_BQ_LOCATION)."
}

variable "dataset_ids" {
  type        = map(string)
  description = "Dataset ids by layer: raw, staging, marts."

  validation {
    condition     = length(setsubtract(["raw", "staging", "marts"], keys(var.dataset_ids))) == 0
    error_message = "dataset_ids needs the keys raw, staging and marts."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels of every dataset (plus layer=<key>)."
}

variable "kms_key_name" {
  type        = string
  description = "Optional CMEK key used as the datasets' default encryption; null for Google-managed keys."
  default     = null
}

variable "partition_expiration_days" {
  type        = map(number)
  description = "Default partition expiration in days by layer (raw, staging, marts); a missing layer never expires."
  default     = {}
}

variable "delete_contents_on_destroy" {
  type        = bool
  description = "Let `terraform destroy` delete datasets that still hold tables."
  default     = false
}

variable "editor_members" {
  type        = list(string)
  description = "IAM members with roles/bigquery.dataEditor on every dataset (the Dagster runner: loads raw, dbt builds staging and marts)."
}

variable "marts_reader_members" {
  type        = list(string)
  description = "IAM members with roles/bigquery.dataViewer on the marts dataset only (ML readers)."
}
