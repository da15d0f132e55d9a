# ---------------------------------------------------------------------------------------------
# Project and location
# ---------------------------------------------------------------------------------------------
variable "project_id" {
  type        = string
  description = "GCP project id everything is created in. Bucket names derive from it: <project_id>-elt-landing, <project_id>-elt-parquet, <project_id>-elt-dagster-logs (the pipeline's defaults)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id: 6-30 characters, lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "region" {
  type        = string
  description = "Region for the buckets' compute neighbours: the VPC subnet, Cloud SQL, the Dagster VM, Artifact Registry. Pick one inside bq_location (e.g. europe-west1 for EU)."
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must look like europe-west1 or us-central1."
  }
}

variable "zone" {
  type        = string
  description = "Zone for the Dagster VM (and the primary Cloud SQL zone). Null means <region>-b."
  default     = null

  validation {
    condition     = var.zone == null || can(regex("^[a-z]+-[a-z]+[0-9]+-[a-z]$", var.zone))
    error_message = "zone must look like europe-west1-b."
  }
}

variable "bq_location" {
  type        = string
  description = "Location of the BigQuery datasets and the GCS buckets (a multi-region such as EU/US or a region such as europe-west1). Must equal ELT_BQ_LOCATION (the pipeline default is EU): BigQuery load jobs read buckets in the same location for free."
  default     = "EU"

  validation {
    condition     = can(regex("^(EU|US|[a-z]+-[a-z]+[0-9]+)$", var.bq_location))
    error_message = "bq_location must be EU, US or a region name such as europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix for the names of everything that is not a bucket or a dataset (service accounts, VPC, Cloud SQL, VM, secrets). Keep it short: service account ids are limited to 30 characters."
  default     = "elt"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,9}$", var.name_prefix))
    error_message = "name_prefix must be 2-10 characters: lowercase letters, digits, hyphens, starting with a letter."
  }
}

variable "labels" {
  type        = map(string)
  description = "Extra labels for every resource that takes labels (merged over app=elt-pipeline, managed-by=terraform)."
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))
    ])
    error_message = "Label keys must start with a lowercase letter; keys and values may hold lowercase letters, digits, '_' and '-' (max 63)."
  }
}

variable "enable_apis" {
  type        = bool
  description = "Enable the Google APIs this configuration needs (never disabled on destroy). Turn off when a platform team manages project services."
  default     = true
}

# ---------------------------------------------------------------------------------------------
# Sources, buckets, datasets: names shared with elt_pipeline/settings.py
# ---------------------------------------------------------------------------------------------
variable "sources" {
  type        = list(string)
  description = "Source databases (the `sources[].name` of elt_pipeline/pipeline.yaml). The dump uploader may only create objects under <landing>/<source>/."
  default     = ["shop_eu", "shop_us", "shop_apac"]

  validation {
    condition     = length(var.sources) > 0 && length(var.sources) == length(distinct(var.sources))
    error_message = "sources must be a non-empty list without duplicates."
  }

  validation {
    condition     = alltrue([for s in var.sources : can(regex("^[a-z][a-z0-9_]{0,62}$", s))])
    error_message = "Each source name must be lowercase letters, digits and '_' (it is a GCS prefix and a _source_db value)."
  }
}

variable "bucket_name_overrides" {
  type        = map(string)
  description = "Override bucket names by purpose (keys: landing, parquet, dagster-logs). Empty uses the pipeline's defaults <project_id>-elt-<purpose>; if you override, set ELT_LANDING_URI / ELT_PARQUET_URI / DAGSTER_COMPUTE_LOGS_BUCKET from the outputs."
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.bucket_name_overrides) : contains(["landing", "parquet", "dagster-logs"], k)])
    error_message = "bucket_name_overrides keys must be landing, parquet or dagster-logs."
  }

  validation {
    condition     = alltrue([for v in values(var.bucket_name_overrides) : can(regex("^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$", v))])
    error_message = "Bucket names must be 3-63 characters of lowercase letters, digits, '-', '_' and '.'."
  }
}

variable "raw_dataset_id" {
  type        = string
  description = "BigQuery dataset of the raw tables (all sources in one dataset: tables partitioned by _dump_date, clustered by _source_db). Pipeline default: elt_raw (ELT_RAW_DATASET)."
  default     = "elt_raw"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,1024}$", var.raw_dataset_id))
    error_message = "Dataset ids hold letters, digits and underscores only."
  }
}

variable "staging_dataset_id" {
  type        = string
  description = "BigQuery dataset of the dbt staging models. Pipeline default: elt_staging (ELT_STAGING_DATASET)."
  default     = "elt_staging"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,1024}$", var.staging_dataset_id))
    error_message = "Dataset ids hold letters, digits and underscores only."
  }
}

variable "marts_dataset_id" {
  type        = string
  description = "BigQuery dataset of the dbt marts read by ML. Pipeline default: elt_marts (ELT_MARTS_DATASET)."
  default     = "elt_marts"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,1024}$", var.marts_dataset_id))
    error_message = "Dataset ids hold letters, digits and underscores only."
  }
}

variable "partition_expiration_days" {
  type        = map(number)
  description = "Default partition expiration, in days, per dataset (keys: raw, staging, marts). A missing key keeps partitions forever. E.g. { raw = 400 } drops raw dump partitions after ~13 months: they can be re-imported from the landing bucket."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.partition_expiration_days : contains(["raw", "staging", "marts"], k) && v >= 1])
    error_message = "partition_expiration_days keys must be raw, staging or marts, values >= 1."
  }
}

variable "kms_key_name" {
  type        = string
  description = "Optional Cloud KMS key (projects/P/locations/L/keyRings/R/cryptoKeys/K) used as CMEK for the buckets, the BigQuery datasets, Pub/Sub, the VM disk and Cloud SQL. Null: Google-managed encryption. The key must be in a location compatible with bq_location/region; this configuration grants the Google service agents encrypt/decrypt on it."
  default     = null

  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.kms_key_name))
    error_message = "kms_key_name must be a full key name: projects/P/locations/L/keyRings/R/cryptoKeys/K."
  }
}

variable "landing_noncurrent_version_days" {
  type        = number
  description = "Days a replaced or deleted dump stays recoverable in the (versioned) landing bucket."
  default     = 30

  validation {
    condition     = var.landing_noncurrent_version_days >= 1
    error_message = "landing_noncurrent_version_days must be >= 1."
  }
}

variable "landing_retention_days" {
  type        = number
  description = "Delete dumps from the landing bucket after this many days (0 keeps them forever). They are the replay source of truth: keep them at least as long as you may replay."
  default     = 0

  validation {
    condition     = var.landing_retention_days >= 0
    error_message = "landing_retention_days must be >= 0."
  }
}

variable "parquet_retention_days" {
  type        = number
  description = "Delete converted Parquet (and manifests) after this many days. It is rebuilt from the landing dump on replay."
  default     = 90

  validation {
    condition     = var.parquet_retention_days >= 1
    error_message = "parquet_retention_days must be >= 1."
  }
}

variable "parquet_nearline_after_days" {
  type        = number
  description = "Move Parquet objects to NEARLINE after this many days (0 disables). Must be smaller than parquet_retention_days to matter."
  default     = 30

  validation {
    condition     = var.parquet_nearline_after_days >= 0
    error_message = "parquet_nearline_after_days must be >= 0."
  }
}

variable "compute_logs_retention_days" {
  type        = number
  description = "Delete Dagster compute logs (stdout/stderr of runs) after this many days."
  default     = 90

  validation {
    condition     = var.compute_logs_retention_days >= 1
    error_message = "compute_logs_retention_days must be >= 1."
  }
}

variable "enable_storage_data_access_logs" {
  type        = bool
  description = "Turn on Cloud Audit Logs Data Access logs (DATA_READ, DATA_WRITE) for Cloud Storage in the project: who read or wrote which dump/Parquet object. Authoritative for storage.googleapis.com's audit config; turn off if your organisation manages audit configs."
  default     = true
}

variable "enable_landing_notifications" {
  type        = bool
  description = "Create a Pub/Sub topic + subscription receiving OBJECT_FINALIZE events of the landing bucket. The sensor's cursor listing (list_blobs with start_offset) is enough for normal buckets; notifications are the path for very large buckets or many uploads per minute."
  default     = false
}

# ---------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------
variable "ml_readers_group" {
  type        = string
  description = "Google group email of the ML readers: gets BigQuery dataViewer on the marts dataset (dataset-level IAM, nothing else). Null grants nobody."
  default     = null

  validation {
    condition     = var.ml_readers_group == null || can(regex("^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$", var.ml_readers_group))
    error_message = "ml_readers_group must be an email address such as ml-readers@example.com (without the group: prefix)."
  }
}

variable "dagster_ui_members" {
  type        = list(string)
  description = "IAM members allowed to open an IAP TCP tunnel to the Dagster VM (the web UI on port 3000), e.g. [\"group:data-eng@example.com\"]."
  default     = []

  validation {
    condition     = alltrue([for m in var.dagster_ui_members : can(regex("^(user|group|serviceAccount|domain):.+", m))])
    error_message = "Each member needs a user:, group:, serviceAccount: or domain: prefix."
  }
}

variable "dagster_ui_base_url" {
  type        = string
  description = "Base URL of the Dagster UI as operators open it (ELT_UI_BASE_URL: the link in run-failure alerts). The IAP tunnel's local end by default."
  default     = "http://localhost:3000"
}

# ---------------------------------------------------------------------------------------------
# Alerts
# ---------------------------------------------------------------------------------------------
variable "alert_emails" {
  type        = list(string)
  description = "E-mail addresses notified by the Cloud Monitoring policies (VM down, daemon silent, container errors)."
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$", e))])
    error_message = "Each alert e-mail must be an address such as oncall@example.com."
  }
}

variable "alert_notification_channel_ids" {
  type        = list(string)
  description = "Existing Cloud Monitoring notification channels (projects/P/notificationChannels/N, e.g. Slack) the policies notify too."
  default     = []
}

variable "alert_env" {
  type        = map(string)
  description = "Non-secret ELT_ALERT_* variables of the run_failure_alerts sensor (SMTP host, port, sender, recipients; deploy/env.example). The webhook URL and the SMTP password are secrets: add them as versions of the alert secrets (README)."
  default     = {}

  validation {
    condition = alltrue([
      for k in keys(var.alert_env) : startswith(k, "ELT_ALERT_") && !contains(["ELT_ALERT_WEBHOOK_URL", "ELT_ALERT_SMTP_PASSWORD"], k)
    ])
    error_message = "alert_env takes ELT_ALERT_* variables only, never ELT_ALERT_WEBHOOK_URL or ELT_ALERT_SMTP_PASSWORD (Secret Manager)."
  }
}

# ---------------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------------
variable "subnet_cidr" {
  type        = string
  description = "Primary IPv4 range of the subnet holding the Dagster VM."
  default     = "10.20.0.0/24"

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0))
    error_message = "subnet_cidr must be an IPv4 CIDR such as 10.20.0.0/24."
  }
}

variable "private_service_access_prefix_length" {
  type        = number
  description = "Prefix length of the range reserved for private service access (Cloud SQL private IP). /20 leaves room for other managed services."
  default     = 20

  validation {
    condition     = var.private_service_access_prefix_length >= 16 && var.private_service_access_prefix_length <= 24
    error_message = "private_service_access_prefix_length must be between 16 and 24."
  }
}

variable "enable_cloud_nat" {
  type        = bool
  description = "Give the VM outbound internet through Cloud NAT (no inbound). Not needed for Google APIs (private Google access covers GCS, BigQuery, Secret Manager, Artifact Registry, Logging); needed only if runs call other internet hosts."
  default     = false
}

# ---------------------------------------------------------------------------------------------
# Dagster runtime
# ---------------------------------------------------------------------------------------------
variable "cloudsql_tier" {
  type        = string
  description = "Cloud SQL machine tier for the Dagster storage Postgres (Enterprise edition). db-g1-small is enough for one code location and a few thousand runs a month; use db-custom-1-3840 for an SLA."
  default     = "db-g1-small"

  validation {
    condition     = can(regex("^db-", var.cloudsql_tier))
    error_message = "cloudsql_tier must be a Cloud SQL tier such as db-g1-small or db-custom-1-3840."
  }
}

variable "cloudsql_database_version" {
  type        = string
  description = "Cloud SQL PostgreSQL major version."
  default     = "POSTGRES_17"

  validation {
    condition     = can(regex("^POSTGRES_[0-9]+$", var.cloudsql_database_version))
    error_message = "cloudsql_database_version must be POSTGRES_<major>."
  }
}

variable "cloudsql_disk_size_gb" {
  type        = number
  description = "Initial Cloud SQL disk size (auto-grows)."
  default     = 10

  validation {
    condition     = var.cloudsql_disk_size_gb >= 10
    error_message = "cloudsql_disk_size_gb must be >= 10."
  }
}

variable "cloudsql_availability_type" {
  type        = string
  description = "ZONAL (cheapest) or REGIONAL (high availability, ~2x cost) for the Dagster Postgres."
  default     = "ZONAL"

  validation {
    condition     = contains(["ZONAL", "REGIONAL"], var.cloudsql_availability_type)
    error_message = "cloudsql_availability_type must be ZONAL or REGIONAL."
  }
}

variable "dagster_vm_machine_type" {
  type        = string
  description = "Machine type of the VM running the Dagster webserver, daemon and code location (runs execute there too, as subprocesses of the code location)."
  default     = "e2-standard-2"

  validation {
    condition     = can(regex("^[a-z0-9]+-[a-z0-9-]+$", var.dagster_vm_machine_type))
    error_message = "dagster_vm_machine_type must be a Compute Engine machine type such as e2-standard-2."
  }
}

variable "dagster_vm_disk_size_gb" {
  type        = number
  description = "Boot disk of the Dagster VM (image layers and run scratch space)."
  default     = 50

  validation {
    condition     = var.dagster_vm_disk_size_gb >= 20
    error_message = "dagster_vm_disk_size_gb must be >= 20."
  }
}

variable "dagster_image" {
  type        = string
  description = "Container image of the code location (built from the project's Dockerfile; it also runs dagster-webserver and dagster-daemon). Null: <region>-docker.pkg.dev/<project_id>/<name_prefix>-images/elt-pipeline:latest in the Artifact Registry repository created here."
  default     = null

  validation {
    condition     = var.dagster_image == null || can(regex("^[a-z0-9.-]+(:[0-9]+)?/[^ ]+$", var.dagster_image))
    error_message = "dagster_image must be a full image reference such as europe-west1-docker.pkg.dev/my-project/elt-images/elt-pipeline:1.0.0."
  }
}

variable "dagster_home" {
  type        = string
  description = "DAGSTER_HOME inside the image (where its dagster.yaml with Postgres storage and GCS compute logs lives)."
  default     = "/opt/dagster/home"

  validation {
    condition     = startswith(var.dagster_home, "/")
    error_message = "dagster_home must be an absolute path."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Protect Cloud SQL, the VM and the buckets/datasets' contents from `terraform destroy`. Set false only for throwaway projects."
  default     = true
}
