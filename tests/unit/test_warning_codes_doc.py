"""docs/firestore.md lists every data-warning code from the code's one table
(shared/sync/warning_codes.py), and the table is well formed."""

from __future__ import annotations

from shared.sync.warning_codes import CODES, fix_text, markdown_table
from tools import warning_codes_doc


def test_the_doc_table_is_the_codes_table() -> None:
    text = warning_codes_doc.DOC.read_text(encoding="utf-8")
    assert warning_codes_doc.rendered(text) == text, (
        "docs/firestore.md's warning codes differ from shared/sync/warning_codes.py; "
        "run python -m tools.warning_codes_doc"
    )


def test_every_code_has_one_row_per_record_kind_with_a_fix_and_a_severity() -> None:
    keys = [(c.code, c.record_kind) for c in CODES]
    assert len(keys) == len(set(keys))
    assert all(c.fix and c.meaning and c.severity in ("warning", "info") for c in CODES)
    assert all(f"`{c.code}`" in markdown_table() for c in CODES)


def test_fix_text_picks_the_record_kind_and_fills_the_match_key() -> None:
    assert "term's startDate" in fix_text("dates_out_of_order", "academicSession")
    assert "enrollment's beginDate" in fix_text("dates_out_of_order", "enrollment")
    assert fix_text("ambiguous_account", key="username").endswith("share the username")
