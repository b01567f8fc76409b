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

resource "google_cloudfunctions2_function" "healthz" {
  name     = "rostersync-healthz"
  location = var.region

  build_config {
    runtime     = "python311"
    entry_point = "healthz"
    source {
      storage_source {
        bucket = google_storage_bucket.function_source.name
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    available_memory      = "256M"
    max_instance_count    = 2
    ingress_settings      = "ALLOW_ALL"
    service_account_email = google_service_account.functions.email
  }

  depends_on = [google_project_service.enabled]
}
