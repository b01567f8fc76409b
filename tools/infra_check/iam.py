"""IAM grants against the least-privilege table (design.py)."""

from __future__ import annotations

import re
from typing import Any

from tools.infra_check.config import Config, Resource, block, expr, unquote
from tools.infra_check.design import (
    BUILD_SOURCES,
    EXPECTED_GRANTS,
    FUNCTION_IDENTITIES,
    GCS_AGENT_MEMBER,
    GCS_SERVICE_AGENT,
    PUBLIC_FUNCTIONS,
    SECRET_CONDITION,
    SECRET_CREATOR_PERMISSIONS,
    SECRET_NAME_PREFIX,
    SECRETS,
    Grant,
)

# --- 4. IAM --------------------------------------------------------------------------------------

_SA_REF = re.compile(r"google_service_account\.(\w+)\.(?:email|name|id)")


def _member(value: Any) -> str:
    text = unquote(value)
    if text is not None:
        return text
    if str(value) == GCS_AGENT_MEMBER:
        return GCS_SERVICE_AGENT
    match = _SA_REF.search(str(value))
    if match and str(value).startswith('"serviceAccount:${'):
        return match.group(1)
    return expr(value)


def _role(value: Any) -> str:
    text = unquote(value)
    if text is not None:
        return text
    match = re.fullmatch(r"google_project_iam_custom_role\.(\w+)\.(?:name|id)", expr(value))
    return f"custom role {match.group(1)}" if match else expr(value)


def _condition(body: dict[str, Any]) -> str | None:
    condition = block(body, "condition")
    if not condition:
        return None
    expression = condition.get("expression")
    if expr(expression) == "local.build_sources_condition":
        return BUILD_SOURCES
    text = str(expression)
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].replace('\\"', '"')
    return SECRETS if text == SECRET_CONDITION else f"other: {text}"


def _target(r: Resource) -> str:
    body = r.body
    if r.type == "google_project_iam_member":
        return "project" if expr(body.get("project")) == "var.project_id" else expr(body["project"])
    ref = {
        "google_cloud_tasks_queue_iam_member": ("name", r"google_cloud_tasks_queue\.(\w+)\.name"),
        "google_service_account_iam_member": (
            "service_account_id",
            r"google_service_account\.(\w+)\.name",
        ),
        "google_artifact_registry_repository_iam_member": (
            "repository",
            r"google_artifact_registry_repository\.(\w+)\.name",
        ),
        "google_storage_bucket_iam_member": ("bucket", r"google_storage_bucket\.(\w+)\.name"),
    }.get(r.type)
    if ref is not None:
        match = re.fullmatch(ref[1], expr(body.get(ref[0])))
        kind = {
            "google_cloud_tasks_queue_iam_member": "queue",
            "google_service_account_iam_member": "service account",
            "google_artifact_registry_repository_iam_member": "repository",
            "google_storage_bucket_iam_member": "bucket",
        }[r.type]
        return f"{kind} {match.group(1)}" if match else f"{kind} {expr(body.get(ref[0]))}"
    if r.type == "google_cloud_run_service_iam_member":
        for_each = expr(body.get("for_each"))
        service = expr(body.get("service"))
        if service == "google_cloudfunctions2_function.target[each.key].name":
            if for_each == "{for name, f in local.functions : name => f if !f.public}":
                return "private functions"
            if for_each == "{for name, f in local.functions : name => f if f.public}":
                return "public functions"
        return f"cloud run service {service} for {for_each}"
    return f"{r.type} {r.name}"


def granted(config: Config) -> dict[Grant, str]:
    grants: dict[Grant, str] = {}
    for r in config.resources:
        if not re.search(r"_iam_(member|binding|policy)$", r.type):
            continue
        grant = Grant(
            _target(r),
            _member(r.body.get("member")),
            _role(r.body.get("role")),
            _condition(r.body),
        )
        grants[grant] = f"{r.file}: {r.address}"
    return grants


def iam_problems(config: Config) -> list[str]:
    """Every way the configuration's IAM differs from the least-privilege design."""
    return [
        *_authoritative_problems(config),
        *_grant_problems(granted(config)),
        *_secret_creator_problems(config),
        *_secret_prefix_problems(config),
        *_function_identity_problems(config),
        *_runtime_account_problems(config),
    ]


def _authoritative_problems(config: Config) -> list[str]:
    """_iam_binding and _iam_policy resources, which replace grants instead of adding one."""
    return [
        f"{r.file}: {r.address} is authoritative (it would remove grants made outside "
        "this configuration); use the matching _iam_member resource"
        for r in config.resources
        if re.search(r"_iam_(binding|policy)$", r.type)
    ]


def _grant_problems(grants: dict[Grant, str]) -> list[str]:
    """Grants made that the table does not hold, then grants in the table that are not made."""
    problems = [
        _unexpected_grant(grant, where)
        for grant, where in sorted(grants.items())
        if grant not in EXPECTED_GRANTS
    ]
    for grant in sorted(EXPECTED_GRANTS - set(grants)):
        problems.append(
            f"missing grant: {grant} (part of the design; a function or build fails without it)"
        )
    return problems


def _unexpected_grant(grant: Grant, where: str) -> str:
    """The problem with a grant outside the table, naming what the design grants the same
    member on the same target, if anything."""
    same_place = [
        g for g in EXPECTED_GRANTS if (g.target, g.member) == (grant.target, grant.member)
    ]
    hint = (
        "; the design grants " + ", ".join(str(g) for g in sorted(same_place)) if same_place else ""
    )
    return (
        f"{where} grants {grant}: not in the least-privilege table "
        f"(tools/infra_check.py EXPECTED_GRANTS, docs/operations.md){hint}"
    )


def _secret_creator_problems(config: Config) -> list[str]:
    """The secret_creator custom role must exist and hold exactly its permissions."""
    role = config.find("google_project_iam_custom_role", "secret_creator")
    if role is None:
        return ["service_accounts.tf: google_project_iam_custom_role.secret_creator is missing"]
    permissions = [unquote(p) for p in role.body.get("permissions", [])]
    if permissions != SECRET_CREATOR_PERMISSIONS:
        return [
            f"{role.file}: {role.address} holds {permissions}; it must hold only "
            f"{SECRET_CREATOR_PERMISSIONS} (the one secret right granted on the project)"
        ]
    return []


def _secret_prefix_problems(config: Config) -> list[str]:
    """local.secret_name_prefix must be the prefix the IAM conditions name secrets by."""
    prefix = config.locals.get("secret_name_prefix")
    if not isinstance(prefix, str) or prefix.strip('"') != SECRET_NAME_PREFIX:
        return [
            f"local.secret_name_prefix is {prefix!r}; IAM conditions name secrets "
            f'"{SECRET_NAME_PREFIX}" (project number, not id)'
        ]
    return []


def _function_identity_problems(config: Config) -> list[str]:
    """Each function in local.functions runs as its designed identity and is public only if
    the design says so; then the designed functions local.functions lacks."""
    functions = config.locals.get("functions", {})
    problems = []
    for name, spec in functions.items() if isinstance(functions, dict) else ():
        problems += _function_problems(name, spec)
    missing = set(FUNCTION_IDENTITIES) - set(functions if isinstance(functions, dict) else ())
    problems += [f"functions.tf: local.functions has no {name}" for name in sorted(missing)]
    return problems


def _function_problems(name: str, spec: Any) -> list[str]:
    """The identity and public flag of one function's entry in local.functions."""
    problems = []
    identity = unquote(spec.get("identity"))
    if FUNCTION_IDENTITIES.get(name) != identity:
        problems.append(
            f"functions.tf: {name} runs as {identity!r}; the design runs it as "
            f"{FUNCTION_IDENTITIES.get(name)!r} (FUNCTION_IDENTITIES)"
        )
    if bool(spec.get("public")) != (name in PUBLIC_FUNCTIONS):
        problems.append(
            f"functions.tf: {name} has public = {spec.get('public')}; only "
            f"{', '.join(sorted(PUBLIC_FUNCTIONS))} are public"
        )
    return problems


def _runtime_account_problems(config: Config) -> list[str]:
    """local.runtime_accounts must map each identity to its own service account's email."""
    accounts = config.locals.get("runtime_accounts", {})
    return [
        f"functions.tf: local.runtime_accounts[{identity!r}] must be "
        f"google_service_account.{identity}.email"
        for identity in sorted(set(FUNCTION_IDENTITIES.values()))
        if expr(accounts.get(identity)) != f"google_service_account.{identity}.email"
    ]
