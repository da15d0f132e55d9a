variable "project_id" {
  type        = string
  description = "Project of the secrets."
}

variable "name_prefix" {
  type        = string
  description = "Prefix of the secret ids."
}

variable "labels" {
  type        = map(string)
  description = "Labels of the secrets."
}

variable "kms_key_name" {
  type        = string
  description = "Optional CMEK key for the secrets' automatic replication; null for Google-managed keys."
  default     = null
}

variable "accessor_members" {
  type        = list(string)
  description = "IAM members allowed to read the secrets' versions (the Dagster runner)."
}
