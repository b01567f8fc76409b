terraform {
  required_version = ">= 1.5.0, < 2.0.0"
  required_providers {
    google = {
      source = "hashicorp/google"
      # Exact pin: a provider upgrade is a reviewed change of this line (and of
      # .terraform.lock.hcl, which `terraform init` writes and which is committed with it).
      version = "6.50.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
