"""Validation against the official OneRoster 1.2 OpenAPI files vendored in ``specs/``."""

from __future__ import annotations

import functools
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker

from tools.oneroster_sis.model import spec


@functools.cache
def _validator(service: str, schema_name: str) -> OAS30Validator:
    document = spec(service)
    schemas = document["components"]["schemas"]  # type: ignore[index]
    if schema_name not in schemas:
        raise KeyError(f"{schema_name} is not a schema of the 1.2 {service} service")
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    return OAS30Validator(root, format_checker=oas30_format_checker)


def validation_errors(service: str, schema_name: str, instance: Any) -> list[str]:
    """Every way ``instance`` fails the named schema, as ``path: message`` (empty when valid)."""
    errors = sorted(
        _validator(service, schema_name).iter_errors(instance),
        key=lambda e: [str(p) for p in e.absolute_path],
    )
    out = []
    for error in errors:
        path = ".".join(str(p) for p in error.absolute_path) or "(body)"
        out.append(f"{path}: {error.message}")
    return out
