"""Firestore client construction. The client library reads FIRESTORE_EMULATOR_HOST itself, so
there is no emulator branch here."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from google.cloud.firestore import Client


def make_firestore_client(project_id: str) -> Client:
    from google.cloud import firestore

    return firestore.Client(project=project_id or None)
