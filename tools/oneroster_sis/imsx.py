"""imsx_StatusInfo bodies as OneRoster servers send them (NOTES §7)."""

from __future__ import annotations

from typing import Any


def status_info(
    code_major: str,
    severity: str,
    code_minor: str,
    description: str,
    *,
    code_minor_as_string: bool = False,
) -> dict[str, Any]:
    minor: Any = (
        code_minor
        if code_minor_as_string
        else {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": code_minor,
                }
            ]
        }
    )
    return {
        "imsx_codeMajor": code_major,
        "imsx_severity": severity,
        "imsx_description": description,
        "imsx_CodeMinor": minor,
    }


def error_body(
    code_minor: str, description: str, *, code_minor_as_string: bool = False
) -> dict[str, Any]:
    return status_info(
        "failure", "error", code_minor, description, code_minor_as_string=code_minor_as_string
    )
