"""The offline infra checks (tools/infra_check/, run by `make lint`): infra/ passes them, and
each kind of mistake they exist for is caught when seeded into a copy of infra/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from shared.store.layout import COMPOSITE_QUERIES, UNINDEXED_FIELDS, CompositeQuery
from tools.infra_check.checks import check
from tools.infra_check.config import load
from tools.infra_check.design import EXPECTED_GRANTS
from tools.infra_check.formatting import format_problems
from tools.infra_check.iam import granted
from tools.infra_check.indexes import (
    declared_indexes,
    declared_unindexed,
    field_problems,
    index_problems,
)

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"


def test_infra_passes_every_offline_check() -> None:
    config, problems = check(INFRA)
    assert problems == []
    assert "terraform.tfvars.example" in config.texts
    assert set(granted(config)) == EXPECTED_GRANTS


def test_every_multi_field_query_has_its_composite_index() -> None:
    """Production Firestore refuses these queries without the index; the emulator does not."""
    indexes = {(i.collection, i.fields) for i in declared_indexes(load(INFRA))}
    multi = [q for q in COMPOSITE_QUERIES if len(q.fields) > 1]
    assert multi, "shared/store/layout.py COMPOSITE_QUERIES lists no query"
    for query in multi:
        assert (query.collection_group, tuple(query.fields)) in indexes, query.purpose


def test_an_index_with_fields_in_another_order_does_not_count() -> None:
    query = CompositeQuery("classes", ("sis.school_id", "origin"), "reversed")
    problems = index_problems(load(INFRA), [query])
    assert any("no google_firestore_index on classes" in p for p in problems)
    assert any("serves no query" in p for p in problems)


def test_a_query_on_an_unindexed_field_is_refused() -> None:
    query = CompositeQuery("pages", ("item", "ids"), "pages by id")
    problems = field_problems(load(INFRA), queries=[query])
    assert any("'pages by id' uses pages.ids, which has no index" in p for p in problems)
    assert field_problems(load(INFRA), queries=COMPOSITE_QUERIES) == []
    assert {(u.collection_group, u.field) for u in UNINDEXED_FIELDS} == set(
        declared_unindexed(load(INFRA))
    )


def test_secrets_the_code_names_fall_under_the_iam_condition() -> None:
    """The grants on secrets are conditioned on local.secret_prefix; a secret the code names
    otherwise could be created but never written or read."""
    prefix = load(INFRA).locals["secret_prefix"].strip('"')
    names = [
        m.group(1)
        for path in sorted((ROOT / "shared").rglob("*.py"))
        for m in re.finditer(r"secrets\.store\(\s*f?\"([^\"]*)\"", path.read_text())
    ]
    assert names, "no secrets.store(...) call found in shared/"
    assert all(name.startswith(prefix) for name in names), names


def seeded(tmp_path: Path, file: str, old: str, new: str) -> list[str]:
    copy = tmp_path / "infra"
    shutil.copytree(INFRA, copy)
    text = (copy / file).read_text()
    assert old in text, f"{old!r} not in {file}"
    (copy / file).write_text(text.replace(old, new, 1))
    return check(copy)[1]


INDEX_BLOCK = re.search(
    r'resource "google_firestore_index" "classes_by_school" \{.*?\n\}\n',
    (INFRA / "firestore.tf").read_text(),
    re.DOTALL,
)


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        # An unindexed field dropped, one that keeps an index, and one not in layout.py.
        (
            "firestore.tf",
            'collection = "key_values"',
            'collection = "key_value"',
            "no google_firestore_field with an empty index_config for key_values.holders",
        ),
        (
            "firestore.tf",
            '  field      = "quiet"\n  index_config {}',
            '  field      = "quiet"\n  index_config {\n'
            '    indexes {\n      order = "ASCENDING"\n    }\n  }',
            "the google_firestore_field for schools.quiet is not in",
        ),
        # A removed index.
        (
            "firestore.tf",
            INDEX_BLOCK.group(0) if INDEX_BLOCK else "<missing>",
            "",
            "no google_firestore_index on classes with fields (origin, sis.school_id)",
        ),
        # Broadened roles, and a condition dropped.
        (
            "service_accounts.tf",
            '"roles/secretmanager.secretAccessor"',
            '"roles/secretmanager.admin"',
            "grants roles/secretmanager.admin to worker on project",
        ),
        (
            "service_accounts.tf",
            '"roles/datastore.user"',
            '"roles/datastore.owner"',
            "grants roles/datastore.owner to connect on project",
        ),
        (
            "service_accounts.tf",
            'role    = "roles/logging.logWriter"',
            'role    = "roles/editor"',
            "grants roles/editor to build on project",
        ),
        (
            "service_accounts.tf",
            'permissions = ["secretmanager.secrets.create"]',
            'permissions = ["secretmanager.secrets.create", "secretmanager.versions.access"]',
            "it must hold only ['secretmanager.secrets.create']",
        ),
        (
            "service_accounts.tf",
            "name     = google_cloud_tasks_queue.mark_export.name\n  location = var.region\n"
            '  role     = "roles/cloudtasks.enqueuer"\n'
            '  member   = "serviceAccount:${google_service_account.api.email}"',
            "name     = google_cloud_tasks_queue.mark_export.name\n  location = var.region\n"
            '  role     = "roles/cloudtasks.enqueuer"\n'
            '  member   = "serviceAccount:${google_service_account.connect.email}"',
            "grants roles/cloudtasks.enqueuer to connect on queue mark_export",
        ),
        (
            "functions.tf",
            'public = true, identity = "api" }\n    sync_admin',
            'public = true, identity = "worker" }\n    sync_admin',
            "healthz runs as 'worker'",
        ),
        # Misspelt or wrong audiences, and task URLs that are not the functions'.
        (
            "scheduler.tf",
            'audience              = local.function_urls["sync_schedule"]',
            'audience              = local.function_urls["sync_schedul"]',
            'oidc_token.audience is local.function_urls["sync_schedul"]',
        ),
        (
            "scheduler.tf",
            'audience              = local.function_urls["sync_schedule"]',
            'audience              = local.function_urls["sync_task"]',
            'oidc_token.audience is local.function_urls["sync_task"] but the job calls',
        ),
        (
            "functions.tf",
            "ROSTERSYNC_FUNCTIONS_URL         = local.function_urls[each.key]",
            'ROSTERSYNC_FUNCTIONS_URL         = local.function_urls["sync_task"]',
            'ROSTERSYNC_FUNCTIONS_URL is local.function_urls["sync_task"]',
        ),
        (
            "functions.tf",
            'each.value.public ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"',
            '"ALLOW_ALL"',
            "private functions must accept internal traffic only",
        ),
        # APIs, pins, checkov skips, parsing.
        (
            "apis.tf",
            '    "artifactregistry.googleapis.com",     # the functions',
            "    # the functions",
            "artifactregistry.googleapis.com is not enabled",
        ),
        ("versions.tf", 'version = "6.50.0"', 'version = ">= 6.0"', "pin it exactly"),
        (
            "firestore.tf",
            'resource "google_firebaserules_release" "firestore" {',
            'resource "google_firebaserules_release" "firestore" {{',
            "firestore.tf: does not parse",
        ),
        # Formatting.
        (
            "queues.tf",
            '  name     = "roster-sync"',
            '  name = "roster-sync"',
            "queues.tf:4: `=` at column 8, terraform fmt aligns it at 12",
        ),
        ("queues.tf", "  location = var.region", "    location = var.region", "indented 4"),
        ("queues.tf", "  location = var.region", "  location = var.region ", "trailing whitespace"),
    ],
)
def test_a_seeded_mistake_is_caught(
    tmp_path: Path, file: str, old: str, new: str, expected: str
) -> None:
    problems = seeded(tmp_path, file, old, new)
    assert any(expected in p for p in problems), problems


def test_a_checkov_skip_needs_its_reason(tmp_path: Path) -> None:
    problems = seeded(
        tmp_path,
        "functions.tf",
        "#checkov:skip=CKV_GCP_62:Holds only the deploy bundle",
        "#checkov:skip=CKV_GCP_62 Holds only the deploy bundle",
    )
    assert any("checkov skip of CKV_GCP_62 without a reason" in p for p in problems), problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # What terraform fmt writes passes.
        (
            'resource "a" "b" {\n  name     = "x"\n  location = var.region\n\n  tags = {\n'
            '    Name = "x"\n  }\n  settings {\n    tier = "db"\n  }\n}\n',
            None,
        ),
        # A multi-line value is not aligned with its neighbours, and ends the chain.
        ("x {\n  a = 1\n  long_name = {\n    b = 2\n  }\n  c = 3\n}\n", None),
        # One indent level per line with openers, however many it opens.
        (
            'locals {\n  x = join(",", flatten([\n    for b in l : [\n      "${b}",\n    ]\n'
            "  ]))\n}\n",
            None,
        ),
        # Trailing comments align; comment lines and heredoc bodies are left alone.
        ('l = [\n  "a",   # one\n  "bbb", # three\n]\n', None),
        ("x = <<EOT\n   free   text =  here\nEOT\ny = 1\n", None),
        ('# a  comment with  spaces\nx = "a  b"\n', None),
        # Mistakes.
        ("x {\n  a         = 1\n  long_name = {\n    b = 2\n  }\n}\n", "aligns it at 5"),
        ("x {\n  a = 1\n  bb = 2\n}\n", "`=` at column 5, terraform fmt aligns it at 6"),
        ("x {\n  a  = {\n    b = 1\n  }\n}\n", "more than one space"),
        ("x {\n   a = 1\n}\n", "indented 3 spaces, terraform fmt indents 2"),
        ("x {\n\ta = 1\n}\n", "tab character"),
        ("x {\n  a=1\n}\n", "`=` needs one space on each side"),
        (
            'l = [\n  "a", # one\n  "bbb", # three\n]\n',
            "comment at column 8, terraform fmt aligns it at 10",
        ),
        ("x = 1", "no newline at the end"),
    ],
)
def test_the_format_check_follows_terraform_fmt(text: str, expected: str | None) -> None:
    problems = format_problems("t.tf", text)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems
