# Service accounts and the few project-level roles they need. Bucket-, dataset- and
# secret-level grants live next to those resources (modules storage, bigquery, secrets,
# dagster_runtime). No primitive role (owner/editor/viewer) anywhere.

locals {
  accounts = {
    runner = {
      id           = "${var.name_prefix}-dagster-runner"
      display_name = "elt-pipeline Dagster runner"
      description  = "Runs the Dagster webserver, daemon and code location: reads landing, writes Parquet and compute logs, loads BigQuery, runs dbt."
    }
    uploader = {
      id           = "${var.name_prefix}-dump-uploader"
      display_name = "elt-pipeline dump uploader"
      description  = "Used by the MySQL export jobs: may only create objects in the landing bucket under <source>/."
    }
    reader = {
      id           = "${var.name_prefix}-ml-reader"
      display_name = "elt-pipeline ML marts reader"
      description  = "For ML jobs: reads the marts dataset and runs query jobs."
    }
  }

  # Known at plan time (service account emails are computed only after apply), so callers
  # can use them in for_each.
  emails = { for k, a in local.accounts : k => "${a.id}@${var.project_id}.iam.gserviceaccount.com" }

  project_roles = {
    # BigQuery: jobs run in the project; data access is granted per dataset.
    "runner/bigquery.jobUser" = { account = "runner", role = "roles/bigquery.jobUser" }
    # The VM's container logs and metrics.
    "runner/logging.logWriter"       = { account = "runner", role = "roles/logging.logWriter" }
    "runner/monitoring.metricWriter" = { account = "runner", role = "roles/monitoring.metricWriter" }
    # ML readers query the marts (and read them with the Storage Read API).
    "reader/bigquery.jobUser"         = { account = "reader", role = "roles/bigquery.jobUser" }
    "reader/bigquery.readSessionUser" = { account = "reader", role = "roles/bigquery.readSessionUser" }
  }
}

resource "google_service_account" "this" {
  for_each = local.accounts

  project      = var.project_id
  account_id   = each.value.id
  display_name = each.value.display_name
  description  = each.value.description
}

resource "google_project_iam_member" "this" {
  for_each = local.project_roles

  project = var.project_id
  role    = each.value.role
  member  = "serviceAccount:${google_service_account.this[each.value.account].email}"
}
