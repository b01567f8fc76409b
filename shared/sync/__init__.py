"""Roster sync: plan → guard → apply (see docs/architecture.md and docs/firestore.md)."""
