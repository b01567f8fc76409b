# CSV packages (docs/operations.md, "CSV packages: the bucket"). A district's SFTP-to-Cloud-Storage
# gateway drops zips under districts/<district>/inbox/, admin uploads land under
# districts/<district>/uploads/; each new object is an event for the csv_landed function
# (functions.tf). The stage step writes a run's pages to the staging bucket under runs/.

resource "google_storage_bucket" "packages" {
  #checkov:skip=CKV_GCP_62:Object reads and writes are audited through Cloud Audit Logs data access logs; a usage-log bucket would duplicate them.
  #checkov:skip=CKV_GCP_78:A package is read once by the run it starts and a new upload is a new run; old generations would only keep student data longer.
  name                        = "${var.project_id}-rostersync-packages"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  versioning {
    enabled = false
  }
  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }
  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket" "staging" {
  #checkov:skip=CKV_GCP_62:Staged pages are intermediate copies of a package for one run; a usage-log bucket would record nothing worth keeping.
  #checkov:skip=CKV_GCP_78:Staged pages are written once per run and deleted after it; versions would only keep student data longer.
  name                        = "${var.project_id}-rostersync-staging"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  versioning {
    enabled = false
  }
  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type = "Delete"
    }
  }
  depends_on = [google_project_service.enabled]
}

# --- Who may touch them: the functions that read packages and stage runs (worker: csv_landed and
# sync_task), and the admin API that opens upload sessions for packages (connect). Nothing else.

resource "google_storage_bucket_iam_member" "worker_packages" {
  bucket = google_storage_bucket.packages.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.worker.email}"
}

resource "google_storage_bucket_iam_member" "worker_staging" {
  bucket = google_storage_bucket.staging.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.worker.email}"
}

resource "google_storage_bucket_iam_member" "connect_packages" {
  bucket = google_storage_bucket.packages.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.connect.email}"
}

# --- The event trigger on the packages bucket: Cloud Storage publishes its events through
# Pub/Sub as its own service agent, and Eventarc delivers them as tasks_invoker, which may invoke
# the private functions (service_accounts.tf) and receive events.

data "google_storage_project_service_account" "gcs" {
  project = var.project_id
}

resource "google_project_iam_member" "gcs_pubsub_publisher" {
  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

resource "google_project_iam_member" "invoker_event_receiver" {
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = "serviceAccount:${google_service_account.tasks_invoker.email}"
}
