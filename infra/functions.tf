# The source bundle `make bundle` writes. Object names carry the bundle's MD5, so a new bundle is a
# new object and every function rebuilds from it.
resource "google_storage_bucket" "function_source" {
  #checkov:skip=CKV_GCP_62:Holds only the deploy bundle, written by Terraform and read by Cloud Build; an access-log bucket would record nothing worth keeping.
  name                        = "${var.project_id}-rostersync-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  versioning {
    enabled = true
  }
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_object" "function_source" {
  name   = "functions-source-${filemd5(var.function_source_zip)}.zip"
  bucket = google_storage_bucket.function_source.name
  source = var.function_source_zip
}

# The functions' container images, kept in this deployment's own repository so the build identity
# can write here and nowhere else.
resource "google_artifact_registry_repository" "functions" {
  #checkov:skip=CKV_GCP_84:Images hold only the function code and public packages, never district data; Google-managed encryption is enough.
  location      = var.region
  repository_id = "rostersync-functions"
  format        = "DOCKER"
  description   = "Rostersync Cloud Functions images (built by Cloud Build)."
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      older_than = "2592000s"
    }
  }
  depends_on = [google_project_service.enabled]
}

locals {
  # One Cloud Function per HTTP target of functions/main.py (HTTP_TARGETS). `public` ones are
  # called from browsers with the classroom app's Google ID token; the others only by Cloud Tasks
  # and Cloud Scheduler. `identity` is the service account it runs as (service_accounts.tf).
  functions = {
    healthz        = { memory = "256M", max_instances = 2, timeout = 10, public = true, identity = "api" }
    sync_admin     = { memory = "512M", max_instances = 10, timeout = 60, public = true, identity = "connect" }
    sync_task      = { memory = "1Gi", max_instances = 50, timeout = 540, public = false, identity = "worker" }
    sync_schedule  = { memory = "256M", max_instances = 1, timeout = 300, public = false, identity = "worker" }
    export_teacher = { memory = "512M", max_instances = 10, timeout = 60, public = true, identity = "api" }
    export_task    = { memory = "1Gi", max_instances = 20, timeout = 540, public = false, identity = "worker" }
    # The admins' web console: its page and assets, and the admin API under /console/api (the
    # same handler as sync_admin), so it runs as sync_admin's identity.
    console = { memory = "512M", max_instances = 10, timeout = 60, public = true, identity = "connect" }
    # A new zip in the packages bucket (storage.tf), delivered by Eventarc as tasks_invoker: it
    # starts a CSV run and enqueues its stage step, so it runs as the task handlers' identity.
    csv_landed = { memory = "512M", max_instances = 10, timeout = 60, public = false, identity = "worker" }
  }

  # Each function's stable URL (the function's `url` attribute). Cloud Tasks and Cloud Scheduler
  # call these URLs and mint OIDC tokens with the same URL as audience, which Cloud Run checks
  # before the code runs, and which the code checks again (shared/identity.py).
  function_urls = {
    for name, f in local.functions : name => "https://${var.region}-${var.project_id}.cloudfunctions.net/rostersync-${replace(name, "_", "-")}"
  }

  # Eventarc mints its token for the trigger's destination, csv_landed's Cloud Run service, whose
  # deterministic URL is https://<service>-<project number>.<region>.run.app (Cloud Run docs,
  # "The service's URL").
  csv_landed_run_url = "https://rostersync-csv-landed-${data.google_project.this.number}.${var.region}.run.app"

  runtime_accounts = {
    api     = google_service_account.api.email
    connect = google_service_account.connect.email
    worker  = google_service_account.worker.email
  }
}

# Ingress: the private task handlers accept only internal traffic, which includes Cloud Tasks and
# Cloud Scheduler of this project; the public ones must accept calls from browsers (below).
resource "google_cloudfunctions2_function" "target" {
  for_each = local.functions
  name     = "rostersync-${replace(each.key, "_", "-")}"
  location = var.region

  build_config {
    runtime           = "python311"
    entry_point       = each.key
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id
    source {
      storage_source {
        bucket = google_storage_bucket.function_source.name
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    available_memory      = each.value.memory
    max_instance_count    = each.value.max_instances
    timeout_seconds       = each.value.timeout
    ingress_settings      = each.value.public ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"
    service_account_email = local.runtime_accounts[each.value.identity]
    environment_variables = {
      GOOGLE_CLOUD_PROJECT             = var.project_id
      ROSTERSYNC_TASKS_LOCATION        = var.region
      ROSTERSYNC_SYNC_TASK_URL         = local.function_urls["sync_task"]
      ROSTERSYNC_EXPORT_TASK_URL       = local.function_urls["export_task"]
      ROSTERSYNC_FUNCTIONS_URL         = local.function_urls[each.key]
      ROSTERSYNC_TASKS_SERVICE_ACCOUNT = google_service_account.tasks_invoker.email
      ROSTERSYNC_ID_TOKEN_AUDIENCE     = var.id_token_audience
      ROSTERSYNC_PACKAGES_BUCKET       = google_storage_bucket.packages.name
      ROSTERSYNC_STAGING_BUCKET        = google_storage_bucket.staging.name
      ROSTERSYNC_CSV_LANDED_AUDIENCE   = local.csv_landed_run_url
    }
  }

  # csv_landed only: each object finalized in the packages bucket, as a CloudEvent, retried until
  # the function answers 2xx (Eventarc keeps an event 24 hours).
  dynamic "event_trigger" {
    for_each = each.key == "csv_landed" ? [google_storage_bucket.packages.name] : []
    content {
      trigger_region        = var.region
      event_type            = "google.cloud.storage.object.v1.finalized"
      retry_policy          = "RETRY_POLICY_RETRY"
      service_account_email = google_service_account.tasks_invoker.email
      event_filters {
        attribute = "bucket"
        value     = event_trigger.value
      }
    }
  }

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.build_logs,
    google_project_iam_member.build_sources,
    google_artifact_registry_repository_iam_member.build_images,
    google_project_iam_member.gcs_pubsub_publisher,
    google_project_iam_member.invoker_event_receiver,
  ]
}

# The public functions: the classroom app and the web console call them from browsers with the
# user's Google ID token, whose audience is the app's OAuth client id (var.id_token_audience), not
# the function URL, so Cloud Run's IAM check cannot admit those calls (and the console's page must
# load before anyone signs in). The platform lets them through and every handler
# verifies the token, the verified email and the caller's district role itself (shared/identity.py).
resource "google_cloud_run_service_iam_member" "public" {
  #checkov:skip=CKV_GCP_102:Browser callers carry Google ID tokens for the app's OAuth client, which Cloud Run IAM cannot verify; each handler verifies them (docs/operations.md).
  for_each = { for name, f in local.functions : name => f if f.public }
  location = var.region
  service  = google_cloudfunctions2_function.target[each.key].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
