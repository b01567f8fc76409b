resource "google_storage_bucket" "function_source" {
  name                        = "${var.project_id}-rostersync-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
}

resource "google_storage_bucket_object" "function_source" {
  name   = "functions-source-${filemd5(var.function_source_zip)}.zip"
  bucket = google_storage_bucket.function_source.name
  source = var.function_source_zip
}

locals {
  # One Cloud Function per HTTP target of functions/main.py (HTTP_TARGETS).
  functions = {
    healthz       = { memory = "256M", max_instances = 2, timeout = 10, public = true }
    sync_admin    = { memory = "512M", max_instances = 10, timeout = 60, public = true }
    sync_task     = { memory = "1Gi", max_instances = 50, timeout = 540, public = false }
    sync_schedule  = { memory = "256M", max_instances = 1, timeout = 300, public = false }
    export_teacher = { memory = "512M", max_instances = 10, timeout = 60, public = true }
    export_task    = { memory = "1Gi", max_instances = 20, timeout = 540, public = false }
  }
}

resource "google_cloudfunctions2_function" "target" {
  for_each = local.functions
  name     = "rostersync-${replace(each.key, "_", "-")}"
  location = var.region

  build_config {
    runtime     = "python311"
    entry_point = each.key
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
    ingress_settings      = "ALLOW_ALL"
    service_account_email = google_service_account.functions.email
    environment_variables = {
      GOOGLE_CLOUD_PROJECT             = var.project_id
      ROSTERSYNC_TASKS_LOCATION        = var.region
      ROSTERSYNC_SYNC_TASK_URL         = "https://${var.region}-${var.project_id}.cloudfunctions.net/rostersync-sync-task"
      ROSTERSYNC_EXPORT_TASK_URL       = "https://${var.region}-${var.project_id}.cloudfunctions.net/rostersync-export-task"
      ROSTERSYNC_FUNCTIONS_URL         = "https://${var.region}-${var.project_id}.cloudfunctions.net/rostersync-sync-task"
      ROSTERSYNC_TASKS_SERVICE_ACCOUNT = google_service_account.tasks_invoker.email
      ROSTERSYNC_ID_TOKEN_AUDIENCE     = var.id_token_audience
    }
  }

  depends_on = [google_project_service.enabled]
}

# Task handlers are private: only the invoker identity (Cloud Tasks, Cloud Scheduler) may call.
resource "google_cloud_run_service_iam_member" "invoker" {
  for_each = { for name, f in local.functions : name => f if !f.public }
  location = var.region
  service  = google_cloudfunctions2_function.target[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.tasks_invoker.email}"
}

# Admin endpoints verify Google ID tokens themselves; the platform lets the request through.
resource "google_cloud_run_service_iam_member" "public" {
  for_each = { for name, f in local.functions : name => f if f.public }
  location = var.region
  service  = google_cloudfunctions2_function.target[each.key].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
