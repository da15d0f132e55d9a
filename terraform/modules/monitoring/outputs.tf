output "alert_policy_names" {
  description = "Alert policies by purpose."
  value = {
    vm_down          = google_monitoring_alert_policy.vm_down.name
    daemon_down      = google_monitoring_alert_policy.daemon_down.name
    container_errors = google_monitoring_alert_policy.container_errors.name
  }
}

output "notification_channel_ids" {
  description = "Every notification channel the policies notify."
  value       = local.channels
}
