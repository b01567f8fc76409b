# Retries back off exponentially; a handler answers 2xx for permanent failures so only transient
# ones are retried.
resource "google_cloud_tasks_queue" "roster_sync" {
  name     = "roster-sync"
  location = var.region

  rate_limits {
    max_concurrent_dispatches = var.roster_sync_max_concurrent
    max_dispatches_per_second = 50
  }

  retry_config {
    max_attempts  = 20
    min_backoff   = "2s"
    max_backoff   = "300s"
    max_doublings = 6
  }

  depends_on = [google_project_service.enabled]
}

resource "google_cloud_tasks_queue" "mark_export" {
  name     = "mark-export"
  location = var.region

  rate_limits {
    max_concurrent_dispatches = 10
    max_dispatches_per_second = 10
  }

  retry_config {
    max_attempts  = 20
    min_backoff   = "5s"
    max_backoff   = "600s"
    max_doublings = 6
  }

  depends_on = [google_project_service.enabled]
}
