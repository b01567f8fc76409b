"""Structured logs: one JSON object per event, labels where Cloud Logging reads them, no secrets."""

from __future__ import annotations

import json
import logging

from shared.logs import CloudLoggingFormatter, redact


def record(message: str, **extra: object) -> logging.LogRecord:
    entry = logging.LogRecord("shared.test", logging.WARNING, __file__, 1, message, None, None)
    entry.__dict__.update(extra)
    return entry


def test_event_is_one_json_line_with_severity_labels_and_fields() -> None:
    line = CloudLoggingFormatter().format(
        record(
            "sync.page",
            labels={"district": "d1", "school": "s1", "run": "r1", "task": None},
            fields={"pages": 3, "url": "https://sis.example.org/users?limit=***"},
        )
    )
    entry = json.loads(line)
    assert entry["severity"] == "WARNING"
    assert entry["message"] == "sync.page"
    assert entry["logging.googleapis.com/labels"] == {"district": "d1", "school": "s1", "run": "r1"}
    assert entry["pages"] == 3


def test_tokens_secrets_and_authorization_headers_are_redacted() -> None:
    leaked = (
        "headers {'Authorization': 'Bearer abc.def-123'} body client_secret=s3cr3t&x=1 "
        "Authorization: Basic dXNlcjpwYXNz url ?oauth_signature=SIG%3D"
    )
    text = CloudLoggingFormatter().format(record(leaked))
    for secret in ("abc.def-123", "s3cr3t", "dXNlcjpwYXNz", "SIG%3D"):
        assert secret not in text
    assert redact("Bearer tok") == "Bearer [redacted]"
