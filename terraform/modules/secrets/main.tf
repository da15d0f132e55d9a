# The secrets exist here; their values never do. Add versions out of band (README):
#   openssl rand -base64 48 | tr -d '\n' | gcloud secrets versions add <id> --data-file=-
# so no secret value is in code, in tfvars or in the Terraform state.

locals {
  secrets = {
    hash_salt = {
      id          = "${var.name_prefix}-hash-salt"
      description = "Salt of the SHA-256 column hashing (ELT_HASH_SALT). Changing it changes every hashed value."
    }
    dagster_pg_password = {
      id          = "${var.name_prefix}-dagster-pg-password"
      description = "Password of the dagster Cloud SQL user (DAGSTER_PG_PASSWORD)."
    }
    # Optional: without a version, no webhook / no SMTP login (the VM skips them).
    alert_webhook_url = {
      id          = "${var.name_prefix}-alert-webhook-url"
      description = "Slack-compatible incoming webhook URL of the run-failure alerts (ELT_ALERT_WEBHOOK_URL). Optional."
    }
    alert_smtp_password = {
      id          = "${var.name_prefix}-alert-smtp-password"
      description = "SMTP password of the run-failure alert e-mails (ELT_ALERT_SMTP_PASSWORD). Optional."
    }
  }

  accessor_bindings = {
    for pair in setproduct(keys(local.secrets), var.accessor_members) : "${pair[0]}/${pair[1]}" => {
      secret = pair[0]
      member = pair[1]
    }
  }
}

resource "google_secret_manager_secret" "this" {
  for_each = local.secrets

  project   = var.project_id
  secret_id = each.value.id
  labels    = merge(var.labels, { purpose = replace(each.key, "_", "-") })
  annotations = {
    description = each.value.description
  }

  replication {
    auto {
      dynamic "customer_managed_encryption" {
        for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
        content {
          kms_key_name = customer_managed_encryption.value
        }
      }
    }
  }
}

resource "google_secret_manager_secret_iam_member" "accessors" {
  for_each = local.accessor_bindings

  project   = var.project_id
  secret_id = google_secret_manager_secret.this[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value.member
}
