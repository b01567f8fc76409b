"""imsx_StatusInfo bodies as OneRoster servers send them: the ``imsx_StatusInfoDType`` of the
official 1.2 OpenAPI files in ``specs/`` and of the OneRoster 1.2 REST binding
(https://www.imsglobal.org/sites/default/files/spec/oneroster/v1p2/rostering-restbinding/OneRosterv1p2RosteringService_RESTBindv1p0.html),
or with ``imsx_CodeMinor`` as a plain string, as Ed-Fi's OneRoster server sends it."""

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
