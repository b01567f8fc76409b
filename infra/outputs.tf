output "function_urls" {
  value       = { for name, f in google_cloudfunctions2_function.target : name => f.service_config[0].uri }
  description = "URL of each Cloud Function, by HTTP target name."
}

output "tasks_invoker" {
  value       = google_service_account.tasks_invoker.email
  description = "The identity Cloud Tasks and Cloud Scheduler call the task handlers with."
}
