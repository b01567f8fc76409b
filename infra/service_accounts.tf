# Identities, one per job, each with only what its functions call (docs/operations.md, "Identities
# and permissions", explains every grant). tools/infra_check.py holds the same table and fails on
# any grant that is added, broadened or loses its condition.
#
#   connect        sync_admin: stores a district's SIS secret when an admin connects ("Authorize");
#                  creates secrets and adds versions, never reads one.
#   api            healthz, export_teacher: the teacher API; no secret access.
#   worker         sync_task, sync_schedule, export_task: the private task handlers; the only
#                  identity that reads SIS secrets.
#   tasks_invoker  what Cloud Tasks and Cloud Scheduler call the private handlers as (OIDC); the
#                  only identity allowed to invoke them.
#   build          what Cloud Build builds the functions' images as.

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  # shared/sync/admin_api.py names each district's secret "rostersync-<district>-sis".
  secret_prefix = "rostersync-"
  # IAM conditions see Secret Manager resources by project number, not project id.
  secret_name_prefix = "projects/${data.google_project.this.number}/secrets/${local.secret_prefix}"
}

resource "google_service_account" "connect" {
  account_id   = "rostersync-connect"
  display_name = "Rostersync admin API (stores SIS secrets)"
  depends_on   = [google_project_service.enabled]
}

resource "google_service_account" "api" {
  account_id   = "rostersync-api"
  display_name = "Rostersync teacher API and health check"
  depends_on   = [google_project_service.enabled]
}

resource "google_service_account" "worker" {
  account_id   = "rostersync-worker"
  display_name = "Rostersync task handlers (sync, schedule, export)"
  depends_on   = [google_project_service.enabled]
}

resource "google_service_account" "tasks_invoker" {
  account_id   = "rostersync-tasks-invoker"
  display_name = "Rostersync Cloud Tasks and Cloud Scheduler invoker"
  depends_on   = [google_project_service.enabled]
}

resource "google_service_account" "build" {
  account_id   = "rostersync-build"
  display_name = "Rostersync function builds"
  depends_on   = [google_project_service.enabled]
}

# --- Firestore: the functions read and write documents; none administers the database.

resource "google_project_iam_member" "connect_firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.connect.email}"
}

resource "google_project_iam_member" "api_firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.api.email}"
}

resource "google_project_iam_member" "worker_firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.worker.email}"
}

# --- Cloud Tasks: enqueue rights on the queue each identity uses, not on the project.

resource "google_cloud_tasks_queue_iam_member" "connect_roster_sync" {
  name     = google_cloud_tasks_queue.roster_sync.name
  location = var.region
  role     = "roles/cloudtasks.enqueuer"
  member   = "serviceAccount:${google_service_account.connect.email}"
}

resource "google_cloud_tasks_queue_iam_member" "worker_roster_sync" {
  name     = google_cloud_tasks_queue.roster_sync.name
  location = var.region
  role     = "roles/cloudtasks.enqueuer"
  member   = "serviceAccount:${google_service_account.worker.email}"
}

resource "google_cloud_tasks_queue_iam_member" "api_mark_export" {
  name     = google_cloud_tasks_queue.mark_export.name
  location = var.region
  role     = "roles/cloudtasks.enqueuer"
  member   = "serviceAccount:${google_service_account.api.email}"
}

resource "google_cloud_tasks_queue_iam_member" "worker_mark_export" {
  name     = google_cloud_tasks_queue.mark_export.name
  location = var.region
  role     = "roles/cloudtasks.enqueuer"
  member   = "serviceAccount:${google_service_account.worker.email}"
}

# A task that carries an OIDC token for tasks_invoker can only be created by an identity that may
# act as tasks_invoker: granted on that one service account, not on the project.

resource "google_service_account_iam_member" "connect_act_as_invoker" {
  service_account_id = google_service_account.tasks_invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.connect.email}"
}

resource "google_service_account_iam_member" "api_act_as_invoker" {
  service_account_id = google_service_account.tasks_invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.api.email}"
}

resource "google_service_account_iam_member" "worker_act_as_invoker" {
  service_account_id = google_service_account.tasks_invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.worker.email}"
}

# --- Secret Manager.
# Creating a secret is checked on the project (the secret does not exist yet), so no condition on
# the secret's name can scope it: connect gets a custom role holding secretmanager.secrets.create
# and nothing else. Adding a version and reading one are checked on the secret, so those grants
# are conditioned on the rostersync- name prefix, and split: connect may only add versions,
# worker may only read them.

resource "google_project_iam_custom_role" "secret_creator" {
  role_id     = "rostersyncSecretCreator"
  title       = "Rostersync secret creator"
  description = "Create Secret Manager secrets; no read, update, delete or IAM rights."
  permissions = ["secretmanager.secrets.create"]
  depends_on  = [google_project_service.enabled]
}

resource "google_project_iam_member" "connect_secret_create" {
  project = var.project_id
  role    = google_project_iam_custom_role.secret_creator.name
  member  = "serviceAccount:${google_service_account.connect.email}"
}

resource "google_project_iam_member" "connect_secret_versions" {
  project = var.project_id
  role    = "roles/secretmanager.secretVersionAdder"
  member  = "serviceAccount:${google_service_account.connect.email}"
  condition {
    title       = "rostersync-secrets-only"
    description = "Only the district SIS secrets Rostersync names rostersync-*."
    expression  = "resource.name.startsWith(\"${local.secret_name_prefix}\")"
  }
}

resource "google_project_iam_member" "worker_secret_access" {
  project = var.project_id
  role    = "roles/secretmanager.secretAccessor"
  member  = "serviceAccount:${google_service_account.worker.email}"
  condition {
    title       = "rostersync-secrets-only"
    description = "Only the district SIS secrets Rostersync names rostersync-*."
    expression  = "resource.name.startsWith(\"${local.secret_name_prefix}\")"
  }
}

# --- Invoking the private task handlers: only tasks_invoker, on those functions only.

resource "google_cloud_run_service_iam_member" "invoker" {
  for_each = { for name, f in local.functions : name => f if !f.public }
  location = var.region
  service  = google_cloudfunctions2_function.target[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.tasks_invoker.email}"
}

# --- Builds: write logs, push images to this deployment's repository, read the source bundle.

resource "google_project_iam_member" "build_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${google_service_account.build.email}"
}

resource "google_artifact_registry_repository_iam_member" "build_images" {
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.build.email}"
}

# The build reads the bundle from our bucket and from the copy Cloud Functions stages in its own
# gcf-v2-sources-<project number>-<region> bucket; nothing else in Cloud Storage.
locals {
  build_source_buckets = [
    google_storage_bucket.function_source.name,
    "gcf-v2-sources-${data.google_project.this.number}-${var.region}",
  ]
  build_sources_condition = join(" || ", flatten([
    for bucket in local.build_source_buckets : [
      "resource.name == \"projects/_/buckets/${bucket}\"",
      "resource.name.startsWith(\"projects/_/buckets/${bucket}/objects/\")",
    ]
  ]))
}

resource "google_project_iam_member" "build_sources" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = "serviceAccount:${google_service_account.build.email}"
  condition {
    title       = "function-sources-only"
    description = "The source bundle bucket and the Cloud Functions staging bucket."
    expression  = local.build_sources_condition
  }
}
