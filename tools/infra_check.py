"""Offline checks of infra/ (Terraform) that `make lint` runs; no terraform binary, provider or
cloud access is needed, so they run anywhere the package registries do.

1. Every ``*.tf`` file and ``terraform.tfvars.example`` parses (python-hcl2).
2. Formatting is what ``terraform fmt`` writes: two-space indentation per bracket level, ``=``
   aligned across consecutive one-line attributes, trailing comments aligned, single spaces,
   no tabs, no trailing whitespace, a final newline (the rules of hclwrite's formatter).
3. Every Firestore query that filters on more than one field (``COMPOSITE_QUERIES`` in
   shared/store/layout.py) has a ``google_firestore_index`` on the same collection group with
   the same fields in the same order, and every declared index serves such a query.
4. IAM grants are exactly the least-privilege table below (``EXPECTED_GRANTS``): a grant that is
   added, broadened, moved to another identity or stripped of its condition fails, and so does
   a function that runs as a different identity than ``FUNCTION_IDENTITIES`` says.
5. OIDC audiences match the URLs called (Cloud Run rejects any other audience), private
   functions accept internal traffic only, and the code's task URLs are the functions' URLs;
   the CSV packages and staging buckets are private, unversioned and expire (30 and 7 days),
   and csv_landed's Eventarc trigger hears the packages bucket as tasks_invoker, with retries.
6. Every API a resource needs is enabled in apis.tf; the google provider is pinned exactly.
7. Every ``#checkov:skip=CHECK:reason`` carries its reason.

    python -m tools.infra_check [--infra DIR]

checkov itself runs beside this in `make lint` (its own virtual environment, .venv-infra).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"

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


# --- parsing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    body: dict[str, Any]
    file: str

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"


@dataclass
class Config:
    texts: dict[str, str] = field(default_factory=dict)
    parsed: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: list[Resource] = field(default_factory=list)
    locals: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def find(self, type_: str, name: str) -> Resource | None:
        return next((r for r in self.of_type(type_) if r.name == name), None)


def hcl_files(infra: Path) -> list[Path]:
    files = sorted(infra.glob("*.tf"))
    example = infra / "terraform.tfvars.example"
    return files + ([example] if example.is_file() else [])


def unquote(value: Any) -> str | None:
    """The text of a string literal as python-hcl2 (v8) returns it (``'"text"'``), else None."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        return None if "${" in inner else inner.replace('\\"', '"').replace("\\\\", "\\")
    return None


def expr(value: Any) -> str:
    """An attribute value as comparable source text: ``${a.b}`` -> ``a.b``; literals quoted."""
    if isinstance(value, str):
        if value.startswith("${") and value.endswith("}"):
            return " ".join(value[2:-1].split())
        return " ".join(value.split())
    return repr(value)


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The first nested block ``name`` of a resource body ({} when absent)."""
    blocks = body.get(name)
    if isinstance(blocks, list) and blocks and isinstance(blocks[0], dict):
        return blocks[0]
    return {}


def load(infra: Path = INFRA) -> Config:
    import hcl2

    config = Config()
    for path in hcl_files(infra):
        text = path.read_text(encoding="utf-8")
        config.texts[path.name] = text
        try:
            parsed = hcl2.loads(text)
        except Exception as exc:  # python-hcl2 raises lark errors of several kinds
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            config.problems.append(f"{path.name}: does not parse: {first}")
            continue
        config.parsed[path.name] = parsed
        for entry in parsed.get("resource", []):
            for type_, named in entry.items():
                for name, body in named.items():
                    config.resources.append(
                        Resource(unquote(type_) or type_, unquote(name) or name, body, path.name)
                    )
        for entry in parsed.get("locals", []):
            config.locals.update({k: v for k, v in entry.items() if not k.startswith("__")})
    return config


# --- 2. formatting (what terraform fmt writes) --------------------------------------------------

_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\s*$")


@dataclass
class _Line:
    number: int
    text: str
    skip: bool = False  # heredoc body or block comment: never reformatted
    code: str = ""  # the text with string contents and comments blanked out
    net: int = 0  # net bracket change (hclwrite counts ${ } as a bracket pair)
    assign: int | None = None  # column of the attribute's `=`, for a one-line attribute
    equals: int | None = None  # column of the first `=`, one-line or not
    comment: int | None = None  # column of a trailing comment after code


def _scan(text: str) -> list[_Line]:
    lines = [_Line(n, t) for n, t in enumerate(text.split("\n"), start=1)]
    heredoc: str | None = None
    in_block_comment = False
    for line in lines:
        if heredoc is not None:
            line.skip = True
            if line.text.strip() == heredoc:
                heredoc = None
            continue
        if in_block_comment:
            line.skip = True
            if "*/" in line.text:
                in_block_comment = False
            continue
        stack: list[str] = []  # "str", "interp", "brace" (a brace inside an interpolation)
        code: list[str] = []
        net = 0
        net_at_equals: int | None = None
        stop_counting = False
        i, text_ = 0, line.text
        while i < len(text_):
            ch, nxt = text_[i], text_[i + 1 : i + 2]
            top = stack[-1] if stack else None
            if top == "str":
                if ch == "\\":
                    code.append("__")
                    i += 2
                    continue
                if ch in "$%" and nxt == "{" and text_[i - 1 : i] != ch:
                    stack.append("interp")
                    net += 0 if stop_counting else 1
                    code.append(ch + "{")
                    i += 2
                    continue
                if ch == '"':
                    stack.pop()
                    code.append('"')
                else:
                    code.append("_")
                i += 1
                continue
            # code, or code inside an interpolation
            if ch == "#" or (ch == "/" and nxt == "/"):
                if text_[:i].strip():
                    line.comment = i
                code.append(" " * (len(text_) - i))
                break
            if ch == "/" and nxt == "*":
                end = text_.find("*/", i + 2)
                if end < 0:
                    in_block_comment = True
                    code.append(" " * (len(text_) - i))
                    break
                code.append(" " * (end + 2 - i))
                i = end + 2
                continue
            if ch == '"':
                stack.append("str")
                code.append('"')
                i += 1
                continue
            if ch == "<" and nxt == "<" and (m := _HEREDOC.match(text_[i:])):
                heredoc = m.group(1)
                stop_counting = True
                code.append(text_[i:])
                break
            if ch in "{[(":
                if top in ("interp", "brace") and ch == "{":
                    stack.append("brace")
                net += 0 if stop_counting else 1
            elif ch in "}])":
                if ch == "}" and top in ("brace", "interp"):
                    stack.pop()
                net -= 0 if stop_counting else 1
            elif (
                ch == "="
                and not stack
                and line.equals is None
                and nxt not in "=>"
                and text_[i - 1 : i] not in ("=", "!", "<", ">")
                and text_[:i].strip()
            ):
                line.equals = i
                net_at_equals = net
            code.append(ch)
            i += 1
        line.code = "".join(code)
        line.net = net
        if line.equals is not None and net_at_equals is not None and net - net_at_equals == 0:
            line.assign = line.equals
    return lines


def format_problems(name: str, text: str) -> list[str]:
    problems: list[str] = []

    def report(line: _Line, message: str) -> None:
        problems.append(f"{name}:{line.number}: {message}")

    if text and not text.endswith("\n"):
        problems.append(f"{name}: no newline at the end of the file")
    lines = _scan(text.rstrip("\n"))

    # Indentation: hclwrite's rule. A line with more openers than closers indents the lines
    # after it by one level (however many it opened); closers pop levels again.
    indents: list[int] = []
    for line in lines:
        if "\t" in line.text:
            report(line, "tab character (terraform fmt indents with spaces)")
        if "\r" in line.text:
            report(line, "carriage return (use LF line ends)")
        if line.text != line.text.rstrip():
            report(line, "trailing whitespace")
        if line.skip or not line.text.strip():
            continue
        if line.net < 0:
            closed = -line.net
            while closed > 0 and indents:
                if closed >= indents[-1]:
                    closed -= indents.pop()
                else:
                    indents[-1] -= closed
                    closed = 0
        want = 2 * len(indents)
        have = len(line.text) - len(line.text.lstrip(" "))
        if have != want and "\t" not in line.text:
            report(line, f"indented {have} spaces, terraform fmt indents {want}")
        if line.net > 0:
            indents.append(line.net)
        body = line.code[have:]
        if line.comment is not None:
            body = line.code[have : line.comment].rstrip()
        if line.assign is not None:
            body = line.code[have : line.assign].rstrip() + " " + line.code[line.assign :]
        if "  " in body.rstrip():
            report(line, "more than one space between tokens")
        if line.equals is not None:
            before, after = line.text[line.equals - 1], line.text[line.equals + 1 : line.equals + 2]
            if before != " " or after not in ("", " "):
                report(line, "`=` needs one space on each side")

    # Alignment chains: consecutive one-line attributes align their `=` one column after the
    # longest name; any other line (blank, comment, block, multi-line value) ends the chain.
    def close(chain: list[_Line], column_of: Any, width_of: Any, what: str) -> None:
        if not chain:
            return
        want = max(width_of(c) for c in chain) + 1
        for c in chain:
            if column_of(c) != want:
                report(
                    c, f"{what} at column {column_of(c) + 1}, terraform fmt aligns it at {want + 1}"
                )

    chain: list[_Line] = []
    for line in lines:
        if line.skip or line.assign is None:
            close(chain, lambda c: c.assign, lambda c: len(c.text[: c.assign].rstrip()), "`=`")
            chain = []
        else:
            chain.append(line)
    close(chain, lambda c: c.assign, lambda c: len(c.text[: c.assign].rstrip()), "`=`")

    chain = []
    for line in lines:
        if line.skip or line.comment is None:
            close(
                chain, lambda c: c.comment, lambda c: len(c.text[: c.comment].rstrip()), "comment"
            )
            chain = []
        else:
            chain.append(line)
    close(chain, lambda c: c.comment, lambda c: len(c.text[: c.comment].rstrip()), "comment")
    return problems


# --- 3. composite indexes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Index:
    address: str
    collection: str
    fields: tuple[str, ...]


def declared_indexes(config: Config) -> list[Index]:
    indexes = []
    for r in config.of_type("google_firestore_index"):
        fields = tuple(
            unquote(f.get("field_path")) or expr(f.get("field_path"))
            for f in r.body.get("fields", [])
            if isinstance(f, dict)
        )
        collection = unquote(r.body.get("collection")) or expr(r.body.get("collection"))
        indexes.append(Index(r.address, collection, tuple(f for f in fields if f != "__name__")))
    return indexes


def index_problems(config: Config, queries: Iterable[Any] | None = None) -> list[str]:
    if queries is None:
        from shared.store.layout import COMPOSITE_QUERIES

        queries = COMPOSITE_QUERIES
    indexes = declared_indexes(config)
    problems = []
    needed = set()
    for q in queries:
        key = (q.collection_group, tuple(q.fields))
        needed.add(key)
        if len(q.fields) < 2:
            continue
        if not any((i.collection, i.fields) == key for i in indexes):
            problems.append(
                f"firestore.tf: no google_firestore_index on {q.collection_group} with fields "
                f"({', '.join(q.fields)}) in that order, which the query '{q.purpose}' needs "
                "(production Firestore refuses it without one; the emulator does not check)"
            )
    for i in indexes:
        if (i.collection, i.fields) not in needed:
            problems.append(
                f"firestore.tf: {i.address} ({i.collection}: {', '.join(i.fields)}) serves no "
                "query in shared/store/layout.py COMPOSITE_QUERIES (an unused index costs every "
                "write); add the query there or remove the index"
            )
    return problems


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
    problems = []
    for r in config.resources:
        if re.search(r"_iam_(binding|policy)$", r.type):
            problems.append(
                f"{r.file}: {r.address} is authoritative (it would remove grants made outside "
                "this configuration); use the matching _iam_member resource"
            )
    grants = granted(config)
    for grant, where in sorted(grants.items()):
        if grant in EXPECTED_GRANTS:
            continue
        same_place = [
            g for g in EXPECTED_GRANTS if (g.target, g.member) == (grant.target, grant.member)
        ]
        hint = (
            "; the design grants " + ", ".join(str(g) for g in sorted(same_place))
            if same_place
            else ""
        )
        problems.append(
            f"{where} grants {grant}: not in the least-privilege table "
            f"(tools/infra_check.py EXPECTED_GRANTS, docs/operations.md){hint}"
        )
    for grant in sorted(EXPECTED_GRANTS - set(grants)):
        problems.append(
            f"missing grant: {grant} (part of the design; a function or build fails without it)"
        )

    role = config.find("google_project_iam_custom_role", "secret_creator")
    if role is None:
        problems.append(
            "service_accounts.tf: google_project_iam_custom_role.secret_creator is missing"
        )
    else:
        permissions = [unquote(p) for p in role.body.get("permissions", [])]
        if permissions != SECRET_CREATOR_PERMISSIONS:
            problems.append(
                f"{role.file}: {role.address} holds {permissions}; it must hold only "
                f"{SECRET_CREATOR_PERMISSIONS} (the one secret right granted on the project)"
            )
    prefix = config.locals.get("secret_name_prefix")
    if not isinstance(prefix, str) or prefix.strip('"') != SECRET_NAME_PREFIX:
        problems.append(
            f"local.secret_name_prefix is {prefix!r}; IAM conditions name secrets "
            f'"{SECRET_NAME_PREFIX}" (project number, not id)'
        )

    functions = config.locals.get("functions", {})
    for name, spec in functions.items() if isinstance(functions, dict) else ():
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
    missing = set(FUNCTION_IDENTITIES) - set(functions if isinstance(functions, dict) else ())
    problems += [f"functions.tf: local.functions has no {name}" for name in sorted(missing)]
    accounts = config.locals.get("runtime_accounts", {})
    for identity in sorted(set(FUNCTION_IDENTITIES.values())):
        if expr(accounts.get(identity)) != f"google_service_account.{identity}.email":
            problems.append(
                f"functions.tf: local.runtime_accounts[{identity!r}] must be "
                f"google_service_account.{identity}.email"
            )
    return problems


# --- 5. audiences, ingress, task URLs ------------------------------------------------------------


def routing_problems(config: Config) -> list[str]:
    problems = []
    private = set(FUNCTION_IDENTITIES) - PUBLIC_FUNCTIONS
    url_of = re.compile(r'local\.function_urls\["(\w+)"\]')
    for job in config.of_type("google_cloud_scheduler_job"):
        target = block(job.body, "http_target")
        token = block(target, "oidc_token")
        uri, audience = expr(target.get("uri")), expr(token.get("audience"))
        where = f"{job.file}: {job.address}"
        if not token:
            problems.append(
                f"{where} calls {uri} without an OIDC token (private functions need one)"
            )
            continue
        if audience != uri:
            problems.append(
                f"{where}: oidc_token.audience is {audience} but the job calls {uri}; Cloud Run "
                "rejects a token minted for another audience before the code runs"
            )
        match = url_of.fullmatch(uri)
        if not match or match.group(1) not in private:
            problems.append(f"{where}: uri {uri} is not the URL of a private function")
        if expr(token.get("service_account_email")) != "google_service_account.tasks_invoker.email":
            problems.append(f"{where}: the OIDC token must be minted for tasks_invoker")

    function = config.find("google_cloudfunctions2_function", "target")
    if function is None:
        return [*problems, "functions.tf: google_cloudfunctions2_function.target is missing"]
    service = block(function.body, "service_config")
    ingress = expr(service.get("ingress_settings"))
    if ingress != 'each.value.public ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"':
        problems.append(
            f"functions.tf: ingress_settings is {ingress}; private functions must accept internal "
            'traffic only: each.value.public ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"'
        )
    env = service.get("environment_variables") or {}
    expected_env = {
        "ROSTERSYNC_SYNC_TASK_URL": 'local.function_urls["sync_task"]',
        "ROSTERSYNC_EXPORT_TASK_URL": 'local.function_urls["export_task"]',
        # The code accepts task and scheduler tokens minted for its own URL (shared/identity.py).
        "ROSTERSYNC_FUNCTIONS_URL": "local.function_urls[each.key]",
        "ROSTERSYNC_TASKS_SERVICE_ACCOUNT": "google_service_account.tasks_invoker.email",
    }
    for variable, want in expected_env.items():
        if expr(env.get(variable)) != want:
            problems.append(
                f"functions.tf: {variable} is {expr(env.get(variable))}, expected {want}"
            )
    urls = expr(config.locals.get("function_urls"))
    name = unquote(function.body.get("name")) or str(function.body.get("name"))
    if (
        'rostersync-${replace(name, "_", "-")}' not in urls
        or 'rostersync-${replace(each.key, "_", "-")}' not in name
    ):
        problems.append(
            "functions.tf: local.function_urls must build each URL from the function's own name "
            '(rostersync-${replace(name, "_", "-")})'
        )
    return problems


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


# --- 6. APIs and pins ----------------------------------------------------------------------------


def api_problems(config: Config) -> list[str]:
    services = {unquote(s) for s in config.locals.get("services", [])}
    needed: dict[str, str] = {api: "the deployed code" for api in CODE_APIS}
    for r in config.resources:
        for prefix, apis in RESOURCE_APIS.items():
            if r.type.startswith(prefix):
                needed.update({api: r.address for api in apis if api not in needed})
    if any("data" in p and "google_project" in str(p["data"]) for p in config.parsed.values()):
        needed.setdefault("cloudresourcemanager.googleapis.com", "data.google_project")
    return [
        f"apis.tf: {api} is not enabled, and {user} needs it"
        for api, user in sorted(needed.items())
        if api not in services
    ]


def pin_problems(config: Config) -> list[str]:
    for parsed in config.parsed.values():
        for terraform in parsed.get("terraform", []):
            for providers in terraform.get("required_providers", []):
                google = providers.get("google") if isinstance(providers, dict) else None
                if isinstance(google, dict):
                    version = unquote(google.get("version")) or ""
                    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
                        return [f"versions.tf: google provider {version!r}; pin it exactly (X.Y.Z)"]
                    return []
    return ["versions.tf: no required_providers entry for google"]


# --- 7. checkov skips -----------------------------------------------------------------------------

_SKIP = re.compile(r"checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def skip_problems(config: Config) -> list[str]:
    problems = []
    for name, text in config.texts.items():
        for number, line in enumerate(text.splitlines(), start=1):
            match = _SKIP.search(line)
            if match and len((match.group(2) or "").split()) < 5:
                problems.append(
                    f"{name}:{number}: checkov skip of {match.group(1)} without a reason; write "
                    f"#checkov:skip={match.group(1)}:<why this check does not apply here>"
                )
    return problems


def rules_problems(infra: Path, config: Config) -> list[str]:
    problems = []
    if not (infra / "firestore.rules").is_file():
        problems.append("firestore.rules is missing")
    ruleset = config.find("google_firebaserules_ruleset", "firestore")
    release = config.find("google_firebaserules_release", "firestore")
    if ruleset is None or "firestore.rules" not in str(ruleset.body):
        problems.append("firestore.tf: no google_firebaserules_ruleset deploying firestore.rules")
    if release is None or unquote(release.body.get("name")) != "cloud.firestore":
        problems.append("firestore.tf: no google_firebaserules_release named cloud.firestore")
    return problems


# --- all -----------------------------------------------------------------------------------------


def check(infra: Path = INFRA, queries: Iterable[Any] | None = None) -> tuple[Config, list[str]]:
    config = load(infra)
    problems = list(config.problems)
    for name, text in config.texts.items():
        problems += format_problems(name, text)
    if not config.problems:
        problems += index_problems(config, queries)
        problems += iam_problems(config)
        problems += routing_problems(config)
        problems += csv_problems(config)
        problems += api_problems(config)
        problems += pin_problems(config)
        problems += rules_problems(infra, config)
    problems += skip_problems(config)
    return config, problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--infra", type=Path, default=INFRA)
    args = parser.parse_args(argv)
    config, problems = check(args.infra)
    for problem in problems:
        print(f"infra: {problem}", file=sys.stderr)
    if problems:
        print(f"infra_check: {len(problems)} problem(s) in {args.infra}", file=sys.stderr)
        return 1
    print(
        f"infra_check: {len(config.texts)} files parse and are formatted; "
        f"{len(declared_indexes(config))} composite index(es) match the queries; "
        f"{len(granted(config))} IAM grants as designed; audiences, ingress, CSV buckets and "
        "trigger, APIs, pins and checkov skips checked"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
