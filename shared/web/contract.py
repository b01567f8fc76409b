"""The OpenAPI document of every endpoint (openapi.yaml beside this module), served as it is
kept in the repository: ``GET /openapi.yaml`` of the public functions, without sign-in. The
file is only read, never parsed here, so serving it costs no YAML library at run time."""

from __future__ import annotations

from functools import cache
from pathlib import Path

CONTRACT_FILE = Path(__file__).resolve().parent / "openapi.yaml"
CONTRACT_PATH = "/openapi.yaml"
CONTRACT_TYPE = "application/yaml"


@cache
def contract_text() -> str:
    return CONTRACT_FILE.read_text(encoding="utf-8")


def asks_for_contract(method: str, path: str) -> bool:
    return method in ("GET", "HEAD") and path.rstrip("/") == CONTRACT_PATH
