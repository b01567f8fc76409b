output "function_urls" {
  value       = local.function_urls
  description = "Stable URL of each Cloud Function, by HTTP target name (what Cloud Tasks and Cloud Scheduler call)."
}

output "function_run_uris" {
  value       = { for name, f in google_cloudfunctions2_function.target : name => f.service_config[0].uri }
  description = "The Cloud Run URI behind each function."
}

output "tasks_invoker" {
  value       = google_service_account.tasks_invoker.email
  description = "The identity Cloud Tasks and Cloud Scheduler call the task handlers with."
}

output "runtime_service_accounts" {
  value       = local.runtime_accounts
  description = "The identity each group of functions runs as (service_accounts.tf)."
}

output "console_url" {
  value       = "${local.function_urls["console"]}/"
  description = "The district admins' web console (sign in with Google; the trailing slash matters: the page loads its assets and the API relative to it)."
}
