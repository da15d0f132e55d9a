variable "project_id" {
  type        = string
  description = "Project of the Dagster runtime."
}

variable "region" {
  type        = string
  description = "Region of Cloud SQL and Artifact Registry."
}

variable "zone" {
  type        = string
  description = "Zone of the Dagster VM."
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name."
}

variable "labels" {
  type        = map(string)
  description = "Labels of every resource."
}

variable "network_self_link" {
  type        = string
  description = "VPC of the VM."
}

variable "subnetwork_self_link" {
  type        = string
  description = "Subnet of the VM (private Google access on)."
}

variable "private_network_id" {
  type        = string
  description = "VPC id once private service access is connected: Cloud SQL's private network."
}

variable "vm_network_tag" {
  type        = string
  description = "Network tag that the IAP ingress firewall rule targets."
}

variable "runner_email" {
  type        = string
  description = "Service account attached to the VM (the Dagster runner)."
}

variable "ui_members" {
  type        = list(string)
  description = "Members allowed to open an IAP tunnel to the VM (UI on port 3000)."
  default     = []
}

variable "kms_key_name" {
  type        = string
  description = "Optional CMEK key for Cloud SQL, the VM boot disk and Artifact Registry; null for Google-managed keys."
  default     = null
}

variable "cloudsql_tier" {
  type        = string
  description = "Cloud SQL tier."
}

variable "cloudsql_database_version" {
  type        = string
  description = "Cloud SQL Postgres version."
}

variable "cloudsql_disk_size_gb" {
  type        = number
  description = "Cloud SQL initial disk size."
}

variable "cloudsql_availability_type" {
  type        = string
  description = "ZONAL or REGIONAL."
}

variable "machine_type" {
  type        = string
  description = "VM machine type."
}

variable "disk_size_gb" {
  type        = number
  description = "VM boot disk size."
}

variable "image" {
  type        = string
  description = "Container image of the code location; null for the Artifact Registry default."
  default     = null
}

variable "dagster_home" {
  type        = string
  description = "DAGSTER_HOME inside the image."
}

variable "deletion_protection" {
  type        = bool
  description = "Protect Cloud SQL and the VM from deletion."
}

variable "hash_salt_secret_id" {
  type        = string
  description = "Secret (projects/P/secrets/S) holding ELT_HASH_SALT."
}

variable "pg_password_secret_id" {
  type        = string
  description = "Secret (projects/P/secrets/S) holding DAGSTER_PG_PASSWORD."
}

variable "pipeline_env" {
  type        = map(string)
  description = "Non-secret pipeline environment (ELT_*, DAGSTER_COMPUTE_LOGS_BUCKET); DAGSTER_PG_* are added here."
}

variable "alert_secret_ids" {
  type        = map(string)
  description = "Optional secrets of the alert sensor by variable (ELT_ALERT_WEBHOOK_URL, ELT_ALERT_SMTP_PASSWORD): written to the code location's environment when they have a version."
}

variable "alert_env" {
  type        = map(string)
  description = "Non-secret ELT_ALERT_* variables of the alert sensor."
  default     = {}
}
