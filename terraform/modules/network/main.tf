# A VPC with one private subnet, private Google access, private service access for Cloud SQL,
# and ingress only from IAP's TCP forwarding range. Nothing here has a public address.

locals {
  # Google's documented source range of IAP TCP forwarding.
  iap_tcp_forwarding_range = "35.235.240.0/20"
  dagster_vm_tag           = "${var.name_prefix}-dagster"
}

resource "google_compute_network" "vpc" {
  project                         = var.project_id
  name                            = "${var.name_prefix}-vpc"
  auto_create_subnetworks         = false
  routing_mode                    = "REGIONAL"
  delete_default_routes_on_create = false
}

resource "google_compute_subnetwork" "main" {
  project                  = var.project_id
  name                     = "${var.name_prefix}-${var.region}"
  region                   = var.region
  network                  = google_compute_network.vpc.id
  ip_cidr_range            = var.subnet_cidr
  private_ip_google_access = true

  log_config {
    aggregation_interval = "INTERVAL_10_MIN"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

# Private service access: Cloud SQL gets an address in this peered range, never a public one.
resource "google_compute_global_address" "private_service_access" {
  project       = var.project_id
  name          = "${var.name_prefix}-psa"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = var.private_service_access_prefix_length
  network       = google_compute_network.vpc.id
}

resource "google_service_networking_connection" "private_service_access" {
  network                 = google_compute_network.vpc.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_service_access.name]
}

# SSH (OS Login) and the Dagster UI (3000), from IAP only, to the Dagster VM only.
resource "google_compute_firewall" "allow_iap_to_dagster" {
  project       = var.project_id
  name          = "${var.name_prefix}-allow-iap-to-dagster"
  network       = google_compute_network.vpc.id
  direction     = "INGRESS"
  priority      = 1000
  source_ranges = [local.iap_tcp_forwarding_range]
  target_tags   = [local.dagster_vm_tag]

  allow {
    protocol = "tcp"
    ports    = ["22", "3000"]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

# Explicit, logged deny of everything else (the implied rule is not logged).
resource "google_compute_firewall" "deny_all_ingress" {
  project       = var.project_id
  name          = "${var.name_prefix}-deny-all-ingress"
  network       = google_compute_network.vpc.id
  direction     = "INGRESS"
  priority      = 65534
  source_ranges = ["0.0.0.0/0"]

  deny {
    protocol = "all"
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_router" "nat" {
  count = var.enable_cloud_nat ? 1 : 0

  project = var.project_id
  name    = "${var.name_prefix}-router"
  region  = var.region
  network = google_compute_network.vpc.id
}

resource "google_compute_router_nat" "nat" {
  count = var.enable_cloud_nat ? 1 : 0

  project                            = var.project_id
  name                               = "${var.name_prefix}-nat"
  region                             = var.region
  router                             = google_compute_router.nat[0].name
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.main.id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}
