terraform {
  # 1.5: `check`/`import` blocks era; every feature used here exists there.
  required_version = ">= 1.5.0, < 2.0.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.14.0, < 8.0.0"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = ">= 6.14.0, < 8.0.0"
    }
  }

  provider_meta "google" {
    module_name = "elt-pipeline/terraform/root"
  }
}
