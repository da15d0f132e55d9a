# One raw dataset for all sources (tables partitioned by _dump_date, clustered by _source_db,
# created by the pipeline with explicit schemas), dbt staging and marts datasets.

locals {
  descriptions = {
    raw     = "elt-pipeline raw tables: one table per configured MySQL table, all sources, partitioned by _dump_date, clustered by _source_db. Written by Dagster only."
    staging = "elt-pipeline dbt staging models (stg_*): sources unioned, cleaned, typed."
    marts   = "elt-pipeline dbt marts (fct_/dim_ and latest views): ML-ready, point-in-time by _dump_date."
  }

  editor_bindings = {
    for pair in setproduct(keys(var.dataset_ids), var.editor_members) : "${pair[0]}/${pair[1]}" => {
      layer  = pair[0]
      member = pair[1]
    }
  }
}

resource "google_bigquery_dataset" "this" {
  for_each = var.dataset_ids

  project                    = var.project_id
  dataset_id                 = each.value
  friendly_name              = each.value
  description                = local.descriptions[each.key]
  location                   = var.location
  labels                     = merge(var.labels, { layer = each.key })
  delete_contents_on_destroy = var.delete_contents_on_destroy

  default_partition_expiration_ms = (
    lookup(var.partition_expiration_days, each.key, null) == null
    ? null
    : var.partition_expiration_days[each.key] * 24 * 60 * 60 * 1000
  )

  dynamic "default_encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = default_encryption_configuration.value
    }
  }
}

# Dataset-level, additive IAM (the datasets' default owner/writer/reader access stays as is).
resource "google_bigquery_dataset_iam_member" "editors" {
  for_each = local.editor_bindings

  project    = var.project_id
  dataset_id = google_bigquery_dataset.this[each.value.layer].dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = each.value.member
}

resource "google_bigquery_dataset_iam_member" "marts_readers" {
  for_each = toset(var.marts_reader_members)

  project    = var.project_id
  dataset_id = google_bigquery_dataset.this["marts"].dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = each.value
}
