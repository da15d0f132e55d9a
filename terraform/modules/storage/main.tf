# The three buckets the pipeline uses, all private (uniform bucket-level access, public access
# prevention enforced), optionally CMEK-encrypted, plus their IAM and optional Pub/Sub events.

locals {
  buckets = {
    landing = {
      versioning = true
      # Replay needs the dumps: keep them (landing_retention_days = 0) unless told otherwise.
      lifecycle = concat(
        [{ action = "Delete", storage_class = null, age = null, days_since_noncurrent_time = var.landing_noncurrent_version_days, with_state = "ARCHIVED" }],
        var.landing_retention_days > 0 ? [{ action = "Delete", storage_class = null, age = var.landing_retention_days, days_since_noncurrent_time = null, with_state = "ANY" }] : [],
      )
    }
    parquet = {
      versioning = false
      lifecycle = concat(
        var.parquet_nearline_after_days > 0 ? [{ action = "SetStorageClass", storage_class = "NEARLINE", age = var.parquet_nearline_after_days, days_since_noncurrent_time = null, with_state = "LIVE" }] : [],
        [{ action = "Delete", storage_class = null, age = var.parquet_retention_days, days_since_noncurrent_time = null, with_state = "ANY" }],
        [{ action = "AbortIncompleteMultipartUpload", storage_class = null, age = 1, days_since_noncurrent_time = null, with_state = null }],
      )
    }
    "dagster-logs" = {
      versioning = false
      lifecycle = [
        { action = "Delete", storage_class = null, age = var.compute_logs_retention_days, days_since_noncurrent_time = null, with_state = "ANY" },
      ]
    }
  }
}

resource "google_storage_bucket" "this" {
  for_each = local.buckets
  #checkov:skip=CKV_GCP_62:Object access is logged by Cloud Audit Logs Data Access logs (root variable enable_storage_data_access_logs, on by default), not by legacy usage-log buckets.
  #checkov:skip=CKV_GCP_78:Versioning is on for landing (the dumps, the replay source); Parquet and compute logs are derived data rebuilt by a replay, versioning them only doubles storage.

  project                     = var.project_id
  name                        = var.bucket_names[each.key]
  location                    = var.location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = merge(var.labels, { purpose = each.key })

  versioning {
    enabled = each.value.versioning
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }

  dynamic "lifecycle_rule" {
    for_each = each.value.lifecycle
    content {
      action {
        type          = lifecycle_rule.value.action
        storage_class = lifecycle_rule.value.storage_class
      }
      condition {
        age                        = lifecycle_rule.value.age
        days_since_noncurrent_time = lifecycle_rule.value.days_since_noncurrent_time
        with_state                 = lifecycle_rule.value.with_state
      }
    }
  }
}

# --- IAM (bucket level only; nothing on the project) -----------------------------------------
resource "google_storage_bucket_iam_member" "runner_reads_landing" {
  bucket = google_storage_bucket.this["landing"].name
  role   = "roles/storage.objectViewer"
  member = var.runner_member
}

resource "google_storage_bucket_iam_member" "runner_writes_parquet" {
  bucket = google_storage_bucket.this["parquet"].name
  role   = "roles/storage.objectUser"
  member = var.runner_member
}

resource "google_storage_bucket_iam_member" "runner_writes_compute_logs" {
  bucket = google_storage_bucket.this["dagster-logs"].name
  role   = "roles/storage.objectUser"
  member = var.runner_member
}

# Create only (no read, no overwrite, no delete), and only under <source>/.
resource "google_storage_bucket_iam_member" "uploader_creates_landing" {
  bucket = google_storage_bucket.this["landing"].name
  role   = "roles/storage.objectCreator"
  member = var.uploader_member

  condition {
    title       = "source-prefixes-only"
    description = "Dump uploads only under <source>/ for the configured sources."
    expression = join(" || ", [
      for s in var.uploader_source_prefixes :
      "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.this["landing"].name}/objects/${s}/\")"
    ])
  }
}

# --- Optional Pub/Sub notifications of new dumps ----------------------------------------------
data "google_storage_project_service_account" "gcs" {
  count   = var.enable_landing_notifications ? 1 : 0
  project = var.project_id
}

resource "google_pubsub_topic" "landing_events" {
  count = var.enable_landing_notifications ? 1 : 0
  #checkov:skip=CKV_GCP_83:CMEK is applied when kms_key_name is set (optional by design); Google-managed encryption otherwise.

  project      = var.project_id
  name         = var.notification_name
  labels       = var.labels
  kms_key_name = var.kms_key_name

  message_retention_duration = "604800s"
}

resource "google_pubsub_topic_iam_member" "gcs_publishes" {
  count = var.enable_landing_notifications ? 1 : 0

  project = var.project_id
  topic   = google_pubsub_topic.landing_events[0].id
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs[0].email_address}"
}

resource "google_storage_notification" "landing" {
  count = var.enable_landing_notifications ? 1 : 0

  bucket         = google_storage_bucket.this["landing"].name
  topic          = google_pubsub_topic.landing_events[0].id
  payload_format = "JSON_API_V1"
  event_types    = ["OBJECT_FINALIZE"]

  depends_on = [google_pubsub_topic_iam_member.gcs_publishes]
}

resource "google_pubsub_subscription" "landing_events" {
  count = var.enable_landing_notifications ? 1 : 0

  project                    = var.project_id
  name                       = var.notification_name
  topic                      = google_pubsub_topic.landing_events[0].id
  labels                     = var.labels
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }
}
