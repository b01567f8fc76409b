# One tick every 15 minutes; the sync_schedule function starts what is due per district (each
# district has its own time zone, window, weekly full and nightly delta settings).
#
# The OIDC token's audience must be the URL the job calls: Cloud Run rejects a token minted for
# any other audience before the code runs (tools/infra_check.py enforces that the two agree).
resource "google_cloud_scheduler_job" "sync_tick" {
  name             = "rostersync-sync-tick"
  region           = var.region
  schedule         = "*/15 * * * *"
  time_zone        = var.scheduler_timezone
  attempt_deadline = "320s"

  http_target {
    http_method = "POST"
    uri         = local.function_urls["sync_schedule"]
    oidc_token {
      service_account_email = google_service_account.tasks_invoker.email
      audience              = local.function_urls["sync_schedule"]
    }
  }

  depends_on = [
    google_project_service.enabled,
    google_cloud_run_service_iam_member.invoker,
  ]
}
