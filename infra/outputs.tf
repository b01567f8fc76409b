output "healthz_url" {
  value = google_cloudfunctions2_function.healthz.service_config[0].uri
}

output "queues" {
  value = {
    roster_sync = google_cloud_tasks_queue.roster_sync.id
    mark_export = google_cloud_tasks_queue.mark_export.id
  }
}
