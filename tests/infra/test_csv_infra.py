"""The CSV packages' infra (infra/storage.tf, csv_landed in infra/functions.tf): the offline
checks of `make lint` catch each way the buckets or the trigger could go wrong, and the settings
the deployed functions get name the buckets Terraform makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.settings import Settings
from tests.infra.test_infra_check import INFRA, seeded
from tools.infra_check.config import load
from tools.infra_check.design import FUNCTION_IDENTITIES
from tools.infra_check.routing import csv_problems
from tools.stack_processes import PROJECT_ID
from tools.stack_services import PACKAGES_BUCKET, STAGING_BUCKET


def test_the_buckets_and_the_trigger_are_as_designed() -> None:
    config = load(INFRA)
    assert csv_problems(config) == []
    assert FUNCTION_IDENTITIES["csv_landed"] == "worker"
    assert "csv_landed" in config.locals["functions"]


def test_the_functions_default_bucket_names_are_terraforms() -> None:
    """Terraform names the buckets <project>-rostersync-packages/-staging; the settings default
    to the same names, and the local stack makes them for its project."""
    text = (INFRA / "storage.tf").read_text()
    assert 'name                        = "${var.project_id}-rostersync-packages"' in text
    assert 'name                        = "${var.project_id}-rostersync-staging"' in text
    settings = Settings.from_env({"GOOGLE_CLOUD_PROJECT": PROJECT_ID})
    assert (settings.packages_bucket, settings.staging_bucket) == (PACKAGES_BUCKET, STAGING_BUCKET)


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "storage.tf",
            "  versioning {\n    enabled = false\n  }\n  lifecycle_rule {\n    condition {\n"
            "      age = 30",
            "  versioning {\n    enabled = true\n  }\n  lifecycle_rule {\n    condition {\n"
            "      age = 30",
            "google_storage_bucket.packages: versioning must be off",
        ),
        (
            "storage.tf",
            "      age = 7",
            "      age = 70",
            "google_storage_bucket.staging: a lifecycle rule must delete objects after 7 days",
        ),
        (
            "storage.tf",
            'public_access_prevention    = "enforced"',
            'public_access_prevention    = "inherited"',
            'google_storage_bucket.packages: public_access_prevention must be "enforced"',
        ),
        (
            "functions.tf",
            '"RETRY_POLICY_RETRY"',
            '"RETRY_POLICY_DO_NOT_RETRY"',
            "event_trigger retry_policy must be",
        ),
        (
            "functions.tf",
            "service_account_email = google_service_account.tasks_invoker.email\n      event",
            "service_account_email = google_service_account.worker.email\n      event",
            "event_trigger service_account_email must be",
        ),
        (
            "functions.tf",
            'each.key == "csv_landed" ? [',
            'each.key != "healthz" ? [',
            "csv_landed (and no other function) needs an event_trigger",
        ),
        (
            "storage.tf",
            'role   = "roles/storage.objectAdmin"\n'
            '  member = "serviceAccount:${google_service_account.worker.email}"',
            'role   = "roles/storage.admin"\n'
            '  member = "serviceAccount:${google_service_account.worker.email}"',
            "grants roles/storage.admin to worker on bucket packages",
        ),
        (
            "storage.tf",
            'role    = "roles/pubsub.publisher"',
            'role    = "roles/pubsub.editor"',
            "missing grant: roles/pubsub.publisher to cloud storage service agent on project",
        ),
        (
            "apis.tf",
            '    "eventarc.googleapis.com",             # csv_landed',
            "    # csv_landed",
            "eventarc.googleapis.com is not enabled",
        ),
    ],
)
def test_a_seeded_csv_mistake_is_caught(
    tmp_path: Path, file: str, old: str, new: str, expected: str
) -> None:
    problems = seeded(tmp_path, file, old, new)
    assert any(expected in p for p in problems), problems
