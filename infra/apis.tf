locals {
  # Every API a resource in this directory (or the deployed code) calls. tools/infra_check.py
  # fails when a resource type's API is missing here.
  services = [
    "artifactregistry.googleapis.com",     # the functions' container images (build_config.docker_repository)
    "cloudbuild.googleapis.com",           # builds each function from the source bundle
    "cloudfunctions.googleapis.com",       # the functions (2nd gen)
    "cloudresourcemanager.googleapis.com", # project IAM bindings, data.google_project
    "cloudscheduler.googleapis.com",       # the sync tick
    "cloudtasks.googleapis.com",           # the roster-sync and mark-export queues
    "eventarc.googleapis.com",             # csv_landed's trigger on the packages bucket
    "firebaserules.googleapis.com",        # Firestore security rules (firestore.rules)
    "firestore.googleapis.com",            # the database and its composite index
    "iam.googleapis.com",                  # service accounts and the custom secret-creator role
    "logging.googleapis.com",              # build and function logs
    "pubsub.googleapis.com",               # the transport of Cloud Storage events to Eventarc
    "run.googleapis.com",                  # 2nd gen functions run as Cloud Run services
    "secretmanager.googleapis.com",        # district SIS secrets
    "storage.googleapis.com",              # the source bundle, CSV packages and staging buckets
  ]
}

resource "google_project_service" "enabled" {
  for_each           = toset(local.services)
  service            = each.value
  disable_on_destroy = false
}
