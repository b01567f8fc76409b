# The functions run as one identity; Cloud Tasks calls task handlers as another, so a task handler
# can require an OIDC token minted for exactly that account.
resource "google_service_account" "functions" {
  account_id   = "rostersync-functions"
  display_name = "Rostersync functions runtime"
}

resource "google_service_account" "tasks_invoker" {
  account_id   = "rostersync-tasks-invoker"
  display_name = "Rostersync Cloud Tasks invoker"
}

resource "google_project_iam_member" "functions_firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.functions.email}"
}

resource "google_project_iam_member" "functions_enqueue" {
  project = var.project_id
  role    = "roles/cloudtasks.enqueuer"
  member  = "serviceAccount:${google_service_account.functions.email}"
}

# Enqueuing a task that carries an OIDC token for the invoker needs actAs on that account only.
resource "google_service_account_iam_member" "functions_act_as_invoker" {
  service_account_id = google_service_account.tasks_invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.functions.email}"
}

# District SIS secrets: the functions create secrets and add versions when an admin connects an
# SIS ("Authorize") and read them to sync; nothing else may.
resource "google_project_iam_member" "functions_secrets" {
  project = var.project_id
  role    = "roles/secretmanager.admin"
  member  = "serviceAccount:${google_service_account.functions.email}"
  condition {
    title      = "rostersync-secrets-only"
    expression = "resource.name.startsWith(\"projects/${var.project_id}/secrets/rostersync-\")"
  }
}
