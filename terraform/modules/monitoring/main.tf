# Cloud Monitoring: someone is told when the Dagster VM is down, when the Dagster daemon stops
# working, and when the containers log errors. Failed runs and failed blocking checks are
# reported by the pipeline itself (the run_failure_alerts sensor, ELT_ALERT_*); these policies
# cover what that sensor cannot see: the machine and the processes that run it.
#
# The containers log through Docker's gcplogs driver: log name gcplogs-docker-driver, resource
# gce_instance, jsonPayload.container.name "/<container>", jsonPayload.data the line. The
# driver marks every stderr line ERROR and Dagster logs to stderr, so severity says nothing:
# errors are matched on Dagster's " - ERROR - " format and on Python tracebacks.

locals {
  container_logs = join(" AND ", [
    "resource.type=\"gce_instance\"",
    "resource.labels.instance_id=\"${var.vm_instance_id}\"",
    "logName=\"projects/${var.project_id}/logs/gcplogs-docker-driver\"",
  ])
  channels = concat(
    [for channel in google_monitoring_notification_channel.email : channel.id],
    var.notification_channel_ids,
  )
}

resource "google_monitoring_notification_channel" "email" {
  for_each = toset(var.alert_emails)

  project      = var.project_id
  display_name = "${var.name_prefix} alerts: ${each.value}"
  type         = "email"
  labels = {
    email_address = each.value
  }
}

# Lines of the containers that Dagster logged at ERROR/CRITICAL or that carry a traceback.
resource "google_logging_metric" "container_errors" {
  project     = var.project_id
  name        = "${var.name_prefix}-container-errors"
  description = "Error lines of the Dagster containers (code location, daemon, webserver, runs)."
  filter      = "${local.container_logs} AND (jsonPayload.data=~\" - (ERROR|CRITICAL) - \" OR jsonPayload.data:\"Traceback (most recent call last)\")"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key         = "container"
      value_type  = "STRING"
      description = "Container name (/elt-code, /elt-daemon, /elt-webserver)."
    }
  }
  label_extractors = {
    container = "EXTRACT(jsonPayload.container.name)"
  }
}

# The daemon logs every sensor evaluation (landed_dumps every 30 s): no line for 10 minutes
# means it is stopped, crash-looping before it logs, or hung.
resource "google_logging_metric" "daemon_lines" {
  project     = var.project_id
  name        = "${var.name_prefix}-daemon-lines"
  description = "Log lines of the Dagster daemon container (its heartbeat in the logs)."
  filter      = "${local.container_logs} AND jsonPayload.container.name=\"/elt-daemon\""

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }
}

resource "google_monitoring_alert_policy" "vm_down" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: Dagster VM down"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = var.labels

  conditions {
    display_name = "No uptime reported by the VM for 5 minutes"
    condition_absent {
      filter   = "resource.type=\"gce_instance\" AND resource.labels.instance_id=\"${var.vm_instance_id}\" AND metric.type=\"compute.googleapis.com/instance/uptime\""
      duration = "300s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The Dagster VM ${var.vm_name} reports no uptime: stopped, deleted or not booting. Nothing is imported, loaded or built until it is back. `gcloud compute instances describe ${var.vm_name}`; serial console output shows boot failures."
  }
}

resource "google_monitoring_alert_policy" "daemon_down" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: Dagster daemon silent"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = var.labels

  conditions {
    display_name = "No daemon log line for 10 minutes"
    condition_absent {
      filter   = "resource.type=\"gce_instance\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.daemon_lines.name}\""
      duration = "600s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The elt-daemon container on ${var.vm_name} has logged nothing for 10 minutes: no sensor ticks, so no landed dump starts an import and no run leaves the queue. On the VM: `sudo systemctl status elt-daemon elt-code` and the container logs in Cloud Logging (gcplogs-docker-driver)."
  }
}

resource "google_monitoring_alert_policy" "container_errors" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: errors in the Dagster containers"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = var.labels

  conditions {
    display_name = "Error lines logged in the last 5 minutes"
    condition_threshold {
      filter          = "resource.type=\"gce_instance\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.container_errors.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.container"]
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A Dagster container on ${var.vm_name} logged an error or a traceback (label container). A code location that cannot load, a sensor that raises, a run worker that dies: Cloud Logging, log gcplogs-docker-driver, shows the lines. Failed runs themselves are also reported by the run_failure_alerts sensor."
  }
}
