variable "project_id" {
  type        = string
  description = "Project of the Dagster VM, its logs and the alert policies."
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name."
}

variable "labels" {
  type        = map(string)
  description = "User labels of the alert policies."
}

variable "vm_name" {
  type        = string
  description = "Name of the Dagster VM (named in the alert texts)."
}

variable "vm_instance_id" {
  type        = string
  description = "Numeric instance id of the Dagster VM (resource.labels.instance_id of its metrics and logs)."
}

variable "alert_emails" {
  type        = list(string)
  description = "E-mail addresses that get an e-mail notification channel each."
  default     = []
}

variable "notification_channel_ids" {
  type        = list(string)
  description = "Existing notification channels (projects/P/notificationChannels/N), e.g. Slack or PagerDuty."
  default     = []
}
