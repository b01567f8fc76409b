"""CSV packages (OneRoster CSV zips in Cloud Storage) as a sync source: storage port, run
creation, staging and the staged-page reader (docs/architecture.md)."""
