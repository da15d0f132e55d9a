# elt-pipeline on GCP: buckets, BigQuery datasets, least-privilege service accounts, secrets,
# and the Dagster runtime (Cloud SQL Postgres + one private VM reached through IAP).

locals {
  zone = coalesce(var.zone, "${var.region}-b")

  labels = merge(
    {
      app        = "elt-pipeline"
      managed-by = "terraform"
    },
    var.labels,
  )

  # Must equal elt_pipeline.settings.default_bucket_name(project, purpose)
  # (tests/test_terraform.py checks it).
  default_bucket_names = {
    landing        = "${var.project_id}-elt-landing"
    parquet        = "${var.project_id}-elt-parquet"
    "dagster-logs" = "${var.project_id}-elt-dagster-logs"
  }
  bucket_names = merge(local.default_bucket_names, var.bucket_name_overrides)

  # Must equal elt_pipeline.settings.DEFAULT_*_DATASET by default.
  dataset_ids = {
    raw     = var.raw_dataset_id
    staging = var.staging_dataset_id
    marts   = var.marts_dataset_id
  }

  apis = [
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "bigquerystorage.googleapis.com",
    "cloudkms.googleapis.com",
    "compute.googleapis.com",
    "iam.googleapis.com",
    "iap.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "secretmanager.googleapis.com",
    "servicenetworking.googleapis.com",
    "sqladmin.googleapis.com",
    "storage.googleapis.com",
  ]
}

resource "google_project_service" "apis" {
  for_each = var.enable_apis ? toset(local.apis) : toset([])

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

module "network" {
  source = "./modules/network"

  project_id                           = var.project_id
  region                               = var.region
  name_prefix                          = var.name_prefix
  subnet_cidr                          = var.subnet_cidr
  private_service_access_prefix_length = var.private_service_access_prefix_length
  enable_cloud_nat                     = var.enable_cloud_nat

  depends_on = [google_project_service.apis]
}

module "iam" {
  source = "./modules/iam"

  project_id  = var.project_id
  name_prefix = var.name_prefix

  depends_on = [google_project_service.apis]
}

module "storage" {
  source = "./modules/storage"

  project_id                      = var.project_id
  location                        = var.bq_location
  bucket_names                    = local.bucket_names
  labels                          = local.labels
  kms_key_name                    = var.kms_key_name
  landing_noncurrent_version_days = var.landing_noncurrent_version_days
  landing_retention_days          = var.landing_retention_days
  parquet_retention_days          = var.parquet_retention_days
  parquet_nearline_after_days     = var.parquet_nearline_after_days
  compute_logs_retention_days     = var.compute_logs_retention_days
  force_destroy                   = !var.deletion_protection
  enable_landing_notifications    = var.enable_landing_notifications
  notification_name               = "${var.name_prefix}-landing-events"

  # Bucket-level IAM.
  runner_member            = module.iam.runner_member
  uploader_member          = module.iam.uploader_member
  uploader_source_prefixes = var.sources

  depends_on = [google_project_service.apis, google_kms_crypto_key_iam_member.cmek]
}

module "bigquery" {
  source = "./modules/bigquery"

  project_id                 = var.project_id
  location                   = var.bq_location
  dataset_ids                = local.dataset_ids
  labels                     = local.labels
  kms_key_name               = var.kms_key_name
  partition_expiration_days  = var.partition_expiration_days
  delete_contents_on_destroy = !var.deletion_protection

  # Dataset-level IAM.
  editor_members = [module.iam.runner_member]
  marts_reader_members = concat(
    [module.iam.reader_member],
    var.ml_readers_group == null ? [] : ["group:${var.ml_readers_group}"],
  )

  depends_on = [google_project_service.apis, google_kms_crypto_key_iam_member.cmek]
}

module "secrets" {
  source = "./modules/secrets"

  project_id       = var.project_id
  name_prefix      = var.name_prefix
  labels           = local.labels
  kms_key_name     = var.kms_key_name
  accessor_members = [module.iam.runner_member]

  depends_on = [google_project_service.apis, google_kms_crypto_key_iam_member.cmek]
}

module "dagster_runtime" {
  source = "./modules/dagster_runtime"

  project_id  = var.project_id
  region      = var.region
  zone        = local.zone
  name_prefix = var.name_prefix
  labels      = local.labels

  network_self_link    = module.network.network_self_link
  subnetwork_self_link = module.network.subnetwork_self_link
  private_network_id   = module.network.private_service_access_network
  vm_network_tag       = module.network.dagster_vm_tag

  runner_email = module.iam.runner_email
  ui_members   = var.dagster_ui_members
  kms_key_name = var.kms_key_name

  cloudsql_tier              = var.cloudsql_tier
  cloudsql_database_version  = var.cloudsql_database_version
  cloudsql_disk_size_gb      = var.cloudsql_disk_size_gb
  cloudsql_availability_type = var.cloudsql_availability_type
  machine_type               = var.dagster_vm_machine_type
  disk_size_gb               = var.dagster_vm_disk_size_gb
  image                      = var.dagster_image
  dagster_home               = var.dagster_home
  deletion_protection        = var.deletion_protection

  hash_salt_secret_id   = module.secrets.hash_salt_secret_id
  pg_password_secret_id = module.secrets.dagster_pg_password_secret_id
  alert_secret_ids      = module.secrets.alert_secret_ids
  alert_env             = var.alert_env

  # Non-secret environment of the pipeline (elt_pipeline/settings.py); the module adds the
  # DAGSTER_PG_* values it creates.
  pipeline_env = {
    ELT_ENV                     = "gcp"
    ELT_GCP_PROJECT             = var.project_id
    ELT_LANDING_URI             = "gs://${module.storage.landing_bucket}"
    ELT_PARQUET_URI             = "gs://${module.storage.parquet_bucket}"
    ELT_RAW_DATASET             = module.bigquery.dataset_ids["raw"]
    ELT_STAGING_DATASET         = module.bigquery.dataset_ids["staging"]
    ELT_MARTS_DATASET           = module.bigquery.dataset_ids["marts"]
    ELT_BQ_LOCATION             = var.bq_location
    ELT_UI_BASE_URL             = var.dagster_ui_base_url
    DAGSTER_COMPUTE_LOGS_BUCKET = module.storage.compute_logs_bucket
  }

  depends_on = [google_project_service.apis, google_kms_crypto_key_iam_member.cmek]
}

module "monitoring" {
  source = "./modules/monitoring"

  project_id               = var.project_id
  name_prefix              = var.name_prefix
  labels                   = local.labels
  vm_name                  = module.dagster_runtime.vm_name
  vm_instance_id           = module.dagster_runtime.vm_instance_id
  alert_emails             = var.alert_emails
  notification_channel_ids = var.alert_notification_channel_ids

  depends_on = [google_project_service.apis]
}

# Object-level access logs of the buckets (instead of legacy usage-log buckets).
resource "google_project_iam_audit_config" "storage" {
  count = var.enable_storage_data_access_logs ? 1 : 0

  project = var.project_id
  service = "storage.googleapis.com"

  audit_log_config {
    log_type = "DATA_READ"
  }
  audit_log_config {
    log_type = "DATA_WRITE"
  }
}

# CMEK: the Google service agents of each service must be able to use the key.
data "google_storage_project_service_account" "gcs" {
  count   = var.kms_key_name == null ? 0 : 1
  project = var.project_id
}

data "google_bigquery_default_service_account" "bq" {
  count   = var.kms_key_name == null ? 0 : 1
  project = var.project_id
}

resource "google_project_service_identity" "cmek" {
  provider = google-beta
  for_each = var.kms_key_name == null ? toset([]) : toset([
    "artifactregistry.googleapis.com",
    "pubsub.googleapis.com",
    "secretmanager.googleapis.com",
    "sqladmin.googleapis.com",
  ])

  project = var.project_id
  service = each.value

  depends_on = [google_project_service.apis]
}

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  # Static keys, values known or unknown at plan: fine for for_each.
  cmek_members = var.kms_key_name == null ? {} : {
    storage          = "serviceAccount:${one(data.google_storage_project_service_account.gcs[*].email_address)}"
    bigquery         = "serviceAccount:${one(data.google_bigquery_default_service_account.bq[*].email)}"
    compute          = "serviceAccount:service-${data.google_project.this.number}@compute-system.iam.gserviceaccount.com"
    artifactregistry = "serviceAccount:${google_project_service_identity.cmek["artifactregistry.googleapis.com"].email}"
    pubsub           = "serviceAccount:${google_project_service_identity.cmek["pubsub.googleapis.com"].email}"
    secretmanager    = "serviceAccount:${google_project_service_identity.cmek["secretmanager.googleapis.com"].email}"
    sqladmin         = "serviceAccount:${google_project_service_identity.cmek["sqladmin.googleapis.com"].email}"
  }
}

resource "google_kms_crypto_key_iam_member" "cmek" {
  for_each = local.cmek_members

  crypto_key_id = var.kms_key_name
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = each.value
}
