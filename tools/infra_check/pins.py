"""Enabled APIs, the pinned provider, checkov skips with reasons, and the rules file."""

from __future__ import annotations

import re
from pathlib import Path

from tools.infra_check.config import Config, unquote
from tools.infra_check.design import CODE_APIS, RESOURCE_APIS

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
