"""The least-privilege design the infra checks hold infra/ to (docs/operations.md,
"Identities and permissions"): the grants, the functions' identities, the APIs."""

from __future__ import annotations

from dataclasses import dataclass

# --- the least-privilege design (docs/operations.md, "Identities and permissions") -------------

# Which identity each Cloud Function runs as, and which functions are public.
FUNCTION_IDENTITIES = {
    "healthz": "api",
    "sync_admin": "connect",
    "sync_task": "worker",
    "sync_schedule": "worker",
    "export_teacher": "api",
    "export_task": "worker",
    "console": "connect",  # serves the admin API under /console/api: sync_admin's identity
    "csv_landed": "worker",  # starts a CSV run and enqueues its stage step, as task handlers do
}
PUBLIC_FUNCTIONS = frozenset({"healthz", "sync_admin", "export_teacher", "console"})


@dataclass(frozen=True, order=True)
class Grant:
    """One IAM grant: on what, to whom, which role, under which condition (None: none)."""

    target: str
    member: str
    role: str
    condition: str | None = None

    def __str__(self) -> str:
        text = f"{self.role} to {self.member} on {self.target}"
        return text + (f" (condition: {self.condition})" if self.condition else "")


SECRETS = "rostersync secrets only"
GCS_SERVICE_AGENT = "cloud storage service agent"
GCS_AGENT_MEMBER = (
    '"serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"'
)
BUILD_SOURCES = "function source buckets only"
EXPECTED_GRANTS = frozenset(
    {
        # Firestore documents (not database administration).
        Grant("project", "connect", "roles/datastore.user"),
        Grant("project", "api", "roles/datastore.user"),
        Grant("project", "worker", "roles/datastore.user"),
        # Enqueue on the queues each identity uses.
        Grant("queue roster_sync", "connect", "roles/cloudtasks.enqueuer"),
        Grant("queue roster_sync", "worker", "roles/cloudtasks.enqueuer"),
        Grant("queue mark_export", "api", "roles/cloudtasks.enqueuer"),
        Grant("queue mark_export", "worker", "roles/cloudtasks.enqueuer"),
        # Tasks carry an OIDC token for tasks_invoker: actAs on that account only.
        Grant("service account tasks_invoker", "connect", "roles/iam.serviceAccountUser"),
        Grant("service account tasks_invoker", "api", "roles/iam.serviceAccountUser"),
        Grant("service account tasks_invoker", "worker", "roles/iam.serviceAccountUser"),
        # Secrets: create (project-level, nothing else in the role), add versions, read.
        Grant("project", "connect", "custom role secret_creator"),
        Grant("project", "connect", "roles/secretmanager.secretVersionAdder", SECRETS),
        Grant("project", "worker", "roles/secretmanager.secretAccessor", SECRETS),
        # Invoking functions.
        Grant("private functions", "tasks_invoker", "roles/run.invoker"),
        Grant("public functions", "allUsers", "roles/run.invoker"),
        # Builds.
        Grant("project", "build", "roles/logging.logWriter"),
        Grant("repository functions", "build", "roles/artifactregistry.writer"),
        Grant("project", "build", "roles/storage.objectViewer", BUILD_SOURCES),
        # CSV packages (storage.tf): the stage step reads packages and writes staged pages, the
        # admin API opens upload sessions; Cloud Storage events reach csv_landed via Eventarc.
        Grant("bucket packages", "worker", "roles/storage.objectAdmin"),
        Grant("bucket staging", "worker", "roles/storage.objectAdmin"),
        Grant("bucket packages", "connect", "roles/storage.objectAdmin"),
        Grant("project", GCS_SERVICE_AGENT, "roles/pubsub.publisher"),
        Grant("project", "tasks_invoker", "roles/eventarc.eventReceiver"),
    }
)
SECRET_CREATOR_PERMISSIONS = ["secretmanager.secrets.create"]
# An IAM condition and a resource-name prefix, not secrets:
SECRET_CONDITION = 'resource.name.startsWith("${local.secret_name_prefix}")'  # noqa: S105
SECRET_NAME_PREFIX = "projects/${data.google_project.this.number}/secrets/${local.secret_prefix}"  # noqa: S105

# APIs each resource type needs (besides what the deployed code calls, CODE_APIS).
RESOURCE_APIS: dict[str, set[str]] = {
    "google_artifact_registry_": {"artifactregistry.googleapis.com"},
    "google_cloudfunctions2_": {
        "cloudfunctions.googleapis.com",
        "cloudbuild.googleapis.com",
        "artifactregistry.googleapis.com",
        "run.googleapis.com",
        "eventarc.googleapis.com",  # csv_landed's Cloud Storage trigger
        "pubsub.googleapis.com",  # Eventarc's transport for Cloud Storage events
    },
    "google_cloud_run_": {"run.googleapis.com"},
    "google_cloud_scheduler_": {"cloudscheduler.googleapis.com"},
    "google_cloud_tasks_": {"cloudtasks.googleapis.com"},
    "google_firebaserules_": {"firebaserules.googleapis.com"},
    "google_firestore_": {"firestore.googleapis.com"},
    "google_project_iam_custom_role": {"iam.googleapis.com"},
    "google_project_iam_member": {"cloudresourcemanager.googleapis.com"},
    "google_service_account": {"iam.googleapis.com"},
    "google_secret_manager_": {"secretmanager.googleapis.com"},
    "google_storage_": {"storage.googleapis.com"},
}
CODE_APIS = {
    "firestore.googleapis.com",
    "cloudtasks.googleapis.com",
    "secretmanager.googleapis.com",
}
