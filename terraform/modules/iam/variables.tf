variable "project_id" {
  type        = string
  description = "Project of the service accounts and of the project-level role grants."
}

variable "name_prefix" {
  type        = string
  description = "Prefix of the service account ids (<prefix>-dagster-runner, <prefix>-dump-uploader, <prefix>-ml-reader)."
}
