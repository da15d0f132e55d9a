variable "project_id" {
  type        = string
  description = "Project the network lives in."
}

variable "region" {
  type        = string
  description = "Region of the subnet, router and NAT."
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name."
}

variable "subnet_cidr" {
  type        = string
  description = "Primary IPv4 range of the subnet."
}

variable "private_service_access_prefix_length" {
  type        = number
  description = "Prefix length of the range peered with Google services (Cloud SQL private IP)."
}

variable "enable_cloud_nat" {
  type        = bool
  description = "Create a Cloud Router + Cloud NAT for outbound internet (no inbound)."
}
