"""Reading OneRoster 1.1 and 1.2 CSV packages (zip + manifest.csv), streaming, pure: a file-level
defect raises ``PackageError``; each row becomes a ``CsvRow`` holding the REST-shaped record that
``shared.oneroster.records.parse_record`` reads, or None, and its ``RowProblem``s. What is
accepted: docs/csv-packages.md."""

from shared.csvpackage.errors import CSV_PROBLEM_CODES, PackageError, RowProblem
from shared.csvpackage.manifest import Manifest
from shared.csvpackage.package import CsvRow, Package, open_package

__all__ = [
    "CSV_PROBLEM_CODES",
    "CsvRow",
    "Manifest",
    "Package",
    "PackageError",
    "RowProblem",
    "open_package",
]
