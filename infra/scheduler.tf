# One tick every 15 minutes; the sync_schedule function starts what is due per district (each
# district has its own time zone, window, weekly full and nightly delta settings).
resource "google_cloud_scheduler_job" "sync_tick" {
  name      = "rostersync-sync-tick"
  region    = var.region
  schedule  = "*/15 * * * *"
  time_zone = var.scheduler_timezone

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.target["sync_schedule"].service_config[0].uri
    oidc_token {
      service_account_email = google_service_account.tasks_invoker.email
      audience              = "https://${var.region}-${var.project_id}.cloudfunctions.net/rostersync-sync-task"
    }
  }

  depends_on = [google_project_service.enabled]
}
