"""OIDC audiences, ingress, task URLs, and the CSV buckets and trigger."""

from __future__ import annotations

import re
from typing import Any

from tools.infra_check.config import Config, Resource, block, expr, unquote
from tools.infra_check.design import FUNCTION_IDENTITIES, PUBLIC_FUNCTIONS

# --- 5. audiences, ingress, task URLs ------------------------------------------------------------

_FUNCTION_URL = re.compile(r'local\.function_urls\["(\w+)"\]')
_INGRESS = 'each.value.public ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"'
TASK_ENVIRONMENT = {  # environment variable -> the expression the function must set it to
    "ROSTERSYNC_SYNC_TASK_URL": 'local.function_urls["sync_task"]',
    "ROSTERSYNC_EXPORT_TASK_URL": 'local.function_urls["export_task"]',
    # The code accepts task and scheduler tokens minted for its own URL (shared/identity.py).
    "ROSTERSYNC_FUNCTIONS_URL": "local.function_urls[each.key]",
    "ROSTERSYNC_TASKS_SERVICE_ACCOUNT": "google_service_account.tasks_invoker.email",
}


def routing_problems(config: Config) -> list[str]:
    """Scheduler jobs' OIDC tokens, the functions' ingress, and the URLs the code calls."""
    private = set(FUNCTION_IDENTITIES) - PUBLIC_FUNCTIONS
    problems = []
    for job in config.of_type("google_cloud_scheduler_job"):
        problems += _scheduler_problems(job, private)
    function = config.find("google_cloudfunctions2_function", "target")
    if function is None:
        return [*problems, "functions.tf: google_cloudfunctions2_function.target is missing"]
    service = block(function.body, "service_config")
    return [
        *problems,
        *_ingress_problems(service),
        *_task_environment_problems(service),
        *_function_url_problems(config, function),
    ]


def _scheduler_problems(job: Resource, private: set[str]) -> list[str]:
    """A scheduler job must call a private function with an OIDC token that tasks_invoker mints
    for the URL it calls."""
    target = block(job.body, "http_target")
    token = block(target, "oidc_token")
    uri, audience = expr(target.get("uri")), expr(token.get("audience"))
    where = f"{job.file}: {job.address}"
    if not token:
        return [f"{where} calls {uri} without an OIDC token (private functions need one)"]
    problems = []
    if audience != uri:
        problems.append(
            f"{where}: oidc_token.audience is {audience} but the job calls {uri}; Cloud Run "
            "rejects a token minted for another audience before the code runs"
        )
    match = _FUNCTION_URL.fullmatch(uri)
    if not match or match.group(1) not in private:
        problems.append(f"{where}: uri {uri} is not the URL of a private function")
    if expr(token.get("service_account_email")) != "google_service_account.tasks_invoker.email":
        problems.append(f"{where}: the OIDC token must be minted for tasks_invoker")
    return problems


def _ingress_problems(service: dict[str, Any]) -> list[str]:
    """Private functions must accept internal traffic only."""
    ingress = expr(service.get("ingress_settings"))
    if ingress != _INGRESS:
        return [
            f"functions.tf: ingress_settings is {ingress}; private functions must accept internal "
            f"traffic only: {_INGRESS}"
        ]
    return []


def _task_environment_problems(service: dict[str, Any]) -> list[str]:
    """The environment variables that tell the code which URLs and identity tasks use."""
    env = service.get("environment_variables") or {}
    return [
        f"functions.tf: {variable} is {expr(env.get(variable))}, expected {want}"
        for variable, want in TASK_ENVIRONMENT.items()
        if expr(env.get(variable)) != want
    ]


def _function_url_problems(config: Config, function: Resource) -> list[str]:
    """local.function_urls must build each URL from the same name the function is deployed as."""
    urls = expr(config.locals.get("function_urls"))
    name = unquote(function.body.get("name")) or str(function.body.get("name"))
    if (
        'rostersync-${replace(name, "_", "-")}' not in urls
        or 'rostersync-${replace(each.key, "_", "-")}' not in name
    ):
        return [
            "functions.tf: local.function_urls must build each URL from the function's own name "
            '(rostersync-${replace(name, "_", "-")})'
        ]
    return []


# CSV packages: the buckets keep no public access and no old data, and csv_landed hears the
# packages bucket's new objects through Eventarc as tasks_invoker, retried until acknowledged.
BUCKET_RULES = {"packages": 30, "staging": 7}  # bucket -> lifecycle: delete after N days
CSV_TRIGGER = {
    "trigger_region": "var.region",
    "event_type": '"google.cloud.storage.object.v1.finalized"',
    "retry_policy": '"RETRY_POLICY_RETRY"',
    "service_account_email": "google_service_account.tasks_invoker.email",
}
CSV_TRIGGER_ONLY = 'each.key == "csv_landed" ? [google_storage_bucket.packages.name] : []'


def csv_problems(config: Config) -> list[str]:
    problems = []
    for name, days in BUCKET_RULES.items():
        bucket = config.find("google_storage_bucket", name)
        if bucket is None:
            problems.append(f"storage.tf: google_storage_bucket.{name} is missing")
            continue
        body, where = bucket.body, f"{bucket.file}: {bucket.address}"
        if body.get("uniform_bucket_level_access") is not True:
            problems.append(f"{where}: uniform_bucket_level_access must be true")
        if unquote(body.get("public_access_prevention")) != "enforced":
            problems.append(f'{where}: public_access_prevention must be "enforced"')
        if block(body, "versioning").get("enabled") is not False:
            problems.append(f"{where}: versioning must be off (old generations keep student data)")
        rule = block(body, "lifecycle_rule")
        if block(rule, "condition").get("age") != days or (
            unquote(block(rule, "action").get("type")) != "Delete"
        ):
            problems.append(f"{where}: a lifecycle rule must delete objects after {days} days")
    function = config.find("google_cloudfunctions2_function", "target")
    dynamic = block(function.body, "dynamic") if function else {}
    trigger = dynamic.get('"event_trigger"') or dynamic.get("event_trigger") or {}
    content = block(trigger, "content")
    for key, want in CSV_TRIGGER.items():
        if expr(content.get(key)) != want:
            problems.append(f"functions.tf: csv_landed's event_trigger {key} must be {want}")
    bucket_filter = block(content, "event_filters")
    heard = (
        expr(trigger.get("for_each")),
        unquote(bucket_filter.get("attribute")),
        expr(bucket_filter.get("value")),
    )
    if heard != (CSV_TRIGGER_ONLY, "bucket", "event_trigger.value"):
        problems.append(
            "functions.tf: csv_landed (and no other function) needs an event_trigger filtered on "
            "the packages bucket"
        )
    return problems
