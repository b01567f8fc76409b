variable "project_id" {
  type        = string
  description = "The Google Cloud project Rostersync deploys into."
}

variable "region" {
  type        = string
  default     = "us-central1"
  description = "Region of the functions and the Cloud Tasks queues."
}

variable "firestore_location" {
  type        = string
  default     = "nam5"
  description = "Location of the (default) Firestore database."
}

variable "function_source_zip" {
  type        = string
  default     = "../build/functions-source.zip"
  description = "The bundle `make bundle` writes: functions/main.py at the root, shared/ and requirements.txt beside it."
  validation {
    condition     = endswith(var.function_source_zip, ".zip")
    error_message = "function_source_zip must be the .zip that `make bundle` writes."
  }
}

variable "roster_sync_max_concurrent" {
  type        = number
  default     = 20
  description = "Upper bound of roster-sync tasks in flight across all districts; per-district limits are enforced by the sync itself."
  validation {
    condition     = var.roster_sync_max_concurrent >= 1 && var.roster_sync_max_concurrent <= 1000
    error_message = "roster_sync_max_concurrent must be between 1 and 1000."
  }
}

variable "id_token_audience" {
  type        = string
  description = "OAuth client id the classroom app's Google ID tokens are issued for (checked by the admin API)."
}

variable "scheduler_timezone" {
  type        = string
  default     = "Etc/UTC"
  description = "Time zone of the scheduler tick; each district's own window is applied by the sync."
}
