# Dagster runtime: Cloud SQL for PostgreSQL (private IP only) as Dagster storage, and one
# Compute Engine VM without a public IP running the webserver, the daemon and the code
# location as containers. Operators reach the UI through an IAP TCP tunnel.

locals {
  registry_host = "${var.region}-docker.pkg.dev"
  image         = coalesce(var.image, "${local.registry_host}/${var.project_id}/${google_artifact_registry_repository.images.repository_id}/elt-pipeline:latest")

  db_name = "dagster"
  db_user = "dagster"

  env = merge(var.pipeline_env, var.alert_env, {
    DAGSTER_HOME    = var.dagster_home
    DAGSTER_PG_HOST = google_sql_database_instance.dagster.private_ip_address
    DAGSTER_PG_PORT = "5432" # Cloud SQL for PostgreSQL's port on its private IP
    DAGSTER_PG_DB   = google_sql_database.dagster.name
    DAGSTER_PG_USER = google_sql_user.dagster.name
  })
}

# --- Container images --------------------------------------------------------------------------
resource "google_artifact_registry_repository" "images" {
  project       = var.project_id
  location      = var.region
  repository_id = "${var.name_prefix}-images"
  description   = "elt-pipeline code location images."
  format        = "DOCKER"
  labels        = var.labels
  kms_key_name  = var.kms_key_name

  cleanup_policies {
    id     = "keep-recent-versions"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }
}

resource "google_artifact_registry_repository_iam_member" "runner_pulls" {
  project    = var.project_id
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.reader"
  member     = "serviceAccount:${var.runner_email}"
}

# --- Dagster storage: Cloud SQL for PostgreSQL, private IP only --------------------------------
resource "google_sql_database_instance" "dagster" {
  #checkov:skip=CKV_GCP_6:TLS is enforced (ssl_mode ENCRYPTED_ONLY) on a private-IP-only instance; TRUSTED_CLIENT_CERTIFICATE_REQUIRED would need client certificates issued and rotated for Dagster's psycopg2 connections.
  #checkov:skip=CKV_GCP_79:The version is var.cloudsql_database_version (default POSTGRES_17, what Dagster storage is exercised with); set POSTGRES_18 where Cloud SQL offers it.
  #checkov:skip=CKV2_GCP_13:log_duration=on logs one line per statement and Dagster writes its event log continuously: Cloud Logging noise and cost; slow statements are visible in Query Insights instead.
  project             = var.project_id
  name                = "${var.name_prefix}-dagster-pg"
  region              = var.region
  database_version    = var.cloudsql_database_version
  deletion_protection = var.deletion_protection
  encryption_key_name = var.kms_key_name

  settings {
    tier                        = var.cloudsql_tier
    edition                     = "ENTERPRISE"
    availability_type           = var.cloudsql_availability_type
    disk_type                   = "PD_SSD"
    disk_size                   = var.cloudsql_disk_size_gb
    disk_autoresize             = true
    deletion_protection_enabled = var.deletion_protection
    user_labels                 = var.labels

    location_preference {
      zone = var.zone
    }

    ip_configuration {
      ipv4_enabled                                  = false
      private_network                               = var.private_network_id
      ssl_mode                                      = "ENCRYPTED_ONLY"
      enable_private_path_for_google_cloud_services = false
    }

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
      start_time                     = "02:00"
      transaction_log_retention_days = 7

      backup_retention_settings {
        retained_backups = 14
      }
    }

    maintenance_window {
      day          = 7
      hour         = 3
      update_track = "stable"
    }

    insights_config {
      query_insights_enabled  = true
      record_application_tags = false
      record_client_address   = false
    }

    # Logging flags recommended by the CIS benchmark (checkov CKV_GCP_51..57, 108-111).
    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }
    database_flags {
      name  = "log_connections"
      value = "on"
    }
    database_flags {
      name  = "log_disconnections"
      value = "on"
    }
    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }
    database_flags {
      name  = "log_min_messages"
      value = "error"
    }
    database_flags {
      name  = "log_temp_files"
      value = "0"
    }
    database_flags {
      name  = "log_min_duration_statement"
      value = "-1"
    }
    database_flags {
      name  = "log_min_error_statement"
      value = "error"
    }
    database_flags {
      name  = "log_hostname"
      value = "on"
    }
    database_flags {
      name  = "log_statement"
      value = "ddl"
    }
    database_flags {
      name  = "cloudsql.enable_pgaudit"
      value = "on"
    }
  }
}

resource "google_sql_database" "dagster" {
  project  = var.project_id
  instance = google_sql_database_instance.dagster.name
  name     = local.db_name
}

# No password here (it would land in the state): set it from the Secret Manager secret with
# `gcloud sql users set-password` (README, step 3).
resource "google_sql_user" "dagster" {
  project  = var.project_id
  instance = google_sql_database_instance.dagster.name
  name     = local.db_user
  type     = "BUILT_IN"
}

# --- The VM: Container-Optimized OS, no public IP, shielded, OS Login, runner SA -------------
resource "google_compute_instance" "dagster" {
  #checkov:skip=CKV_GCP_38:CMEK on the boot disk is applied when kms_key_name is set (optional by design); the disk holds no data beyond images and run scratch space.
  project                   = var.project_id
  name                      = "${var.name_prefix}-dagster"
  zone                      = var.zone
  machine_type              = var.machine_type
  tags                      = [var.vm_network_tag]
  labels                    = var.labels
  deletion_protection       = var.deletion_protection
  allow_stopping_for_update = true

  boot_disk {
    kms_key_self_link = var.kms_key_name
    initialize_params {
      image  = "cos-cloud/cos-stable"
      size   = var.disk_size_gb
      type   = "pd-balanced"
      labels = var.labels
    }
  }

  network_interface {
    subnetwork = var.subnetwork_self_link
    # No access_config block: no external IP.
  }

  service_account {
    email  = var.runner_email
    scopes = ["cloud-platform"]
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  metadata = {
    enable-oslogin         = "TRUE"
    block-project-ssh-keys = "true"
    serial-port-enable     = "false"
    google-logging-enabled = "true"
    user-data = templatefile("${path.module}/templates/cloud-init.yaml.tftpl", {
      image                 = local.image
      registry_host         = local.registry_host
      env                   = local.env
      hash_salt_secret_id   = var.hash_salt_secret_id
      pg_password_secret_id = var.pg_password_secret_id
      alert_secret_ids      = var.alert_secret_ids
    })
  }

  lifecycle {
    precondition {
      condition     = !contains(keys(var.pipeline_env), "ELT_HASH_SALT") && !contains(keys(var.pipeline_env), "DAGSTER_PG_PASSWORD")
      error_message = "Secrets are read from Secret Manager on the VM, never passed in pipeline_env."
    }
  }
}

# Who may open the IAP tunnel (UI on 3000, SSH on 22) to this VM.
resource "google_iap_tunnel_instance_iam_member" "ui" {
  for_each = toset(var.ui_members)

  project  = var.project_id
  zone     = google_compute_instance.dagster.zone
  instance = google_compute_instance.dagster.name
  role     = "roles/iap.tunnelResourceAccessor"
  member   = each.value
}
