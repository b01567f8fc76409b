"""Mark export through the real stack when a teacher's numbers are ones no SIS can take: NaN,
infinity (Firestore stores both) or beyond what OneRoster's schema carries (float32). The bad
assignment or mark is held with a message naming the field and the fix; everything else is sent
and the class export ends."""

from __future__ import annotations

import math
import re
from typing import Any

from shared.ids import safe_id
from tests.export.conftest import ExportSetup

FLOAT32_MAX = 3.4028235e38
QUICK = 60  # seconds: a healthy export of a few assignments ends in a few


def by_assignment(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["assignment_id"]: a for a in status["assignments"]}


def graded_marks(setup: ExportSetup, assignment: dict[str, Any]) -> list[dict[str, Any]]:
    """Every mark but the first student's, which the fixture makes exempt (no score)."""
    exempt = safe_id(setup.students[setup.classes[0]][0])
    return [m for key, m in assignment["marks"].items() if key != exempt]


def sent_scores(setup: ExportSetup) -> list[Any]:
    return [r.get("score") for r in setup.running.sis.store.all("results")]


def test_a_non_finite_score_or_points_is_held_and_the_rest_of_the_class_is_sent(
    export_setup,
) -> None:
    setup: ExportSetup = export_setup()
    class_id = setup.classes[0]
    students = len(setup.students[class_id])
    setup.add_assignment(class_id, "a1-nan-score", title="Nan score", score=math.nan)
    setup.add_assignment(class_id, "a2-infinite-points", title="Inf points", max_points=math.inf)
    setup.add_assignment(class_id, "a3-fine", title="Fine")
    status = setup.export(class_id, timeout=QUICK)
    assert status["export"]["state"] == "done"
    assignments = by_assignment(status)
    assert assignments["a1-nan-score"]["state"] == "sent"  # the lineItem itself is fine
    held = graded_marks(setup, assignments["a1-nan-score"])
    assert len(held) == students - 1 and {m["state"] for m in held} == {"held"}
    assert all("score (nan)" in m["message"] for m in held)
    assert all("enter a finite score between 0 and 3.4028235e+38" in m["message"] for m in held)
    points = assignments["a2-infinite-points"]
    assert points["state"] == "held"
    assert "max_points: inf" in points["message"] and "at most 3.4028235e+38" in points["message"]
    assert assignments["a3-fine"]["state"] == "sent"
    titles = sorted(li["title"] for li in setup.running.sis.store.all("lineItems"))
    assert titles == ["Fine", "Nan score"]
    assert setup.sis_count("results") == students + 1  # all of "Fine", the exempt one of "Nan"
    assert all(s is None or math.isfinite(s) for s in sent_scores(setup))


def test_numbers_beyond_what_oneroster_carries_are_held_not_sent(export_setup) -> None:
    setup: ExportSetup = export_setup()
    class_id = setup.classes[0]
    setup.add_assignment(class_id, "a1-huge-score", title="Huge score", score=1e39)
    setup.add_assignment(class_id, "a2-huge-points", title="Huge points", max_points=-1e39)
    status = setup.export(class_id, timeout=QUICK)
    assert status["export"]["state"] == "done"
    assignments = by_assignment(status)
    held = graded_marks(setup, assignments["a1-huge-score"])
    assert held and all(m["state"] == "held" and "score (1e+39)" in m["message"] for m in held)
    assert assignments["a2-huge-points"]["state"] == "held"
    assert "max_points: -1e+39" in assignments["a2-huge-points"]["message"]
    assert [li["title"] for li in setup.running.sis.store.all("lineItems")] == ["Huge score"]
    assert all(s is None or abs(s) <= FLOAT32_MAX for s in sent_scores(setup))


def test_a_whole_number_vendor_holds_an_infinite_score_instead_of_failing_the_export(
    export_setup,
) -> None:
    setup: ExportSetup = export_setup(version="1.1", vendor="skyward-sms")
    setup.harness.district(setup.district).set(
        {"export": {"default_category": "Homework"}}, merge=True
    )
    class_id = setup.classes[0]
    setup.add_assignment(class_id, "a1-infinite-score", title="Inf score", score=math.inf)
    setup.add_assignment(class_id, "a2-fine", title="Fine")
    status = setup.export(class_id, timeout=QUICK)
    assert status["export"]["state"] == "done"
    assignments = by_assignment(status)
    held = graded_marks(setup, assignments["a1-infinite-score"])
    assert held and all(m["state"] == "held" and "score (inf)" in m["message"] for m in held)
    assert assignments["a2-fine"]["state"] == "sent"
    assert all(m["state"] == "sent" for m in assignments["a2-fine"]["marks"].values())


def test_an_unexpected_error_in_one_assignment_fails_it_with_a_reference_and_the_rest_is_sent(
    export_setup,
) -> None:
    setup: ExportSetup = export_setup()
    class_id = setup.classes[0]
    setup.add_assignment(class_id, "a1-unreadable", title="Unreadable")
    coursework = setup.class_ref(class_id).collection("coursework")
    coursework.document("a1-unreadable").update({"due_at": "next Tuesday"})
    setup.add_assignment(class_id, "a2-fine", title="Fine")
    status = setup.export(class_id, timeout=QUICK)
    assert status["export"]["state"] == "done"
    assignments = by_assignment(status)
    unreadable = assignments["a1-unreadable"]
    assert unreadable["state"] == "failed"
    assert re.search(r"reference [0-9a-f]{12}\b", unreadable["message"]), unreadable["message"]
    assert assignments["a2-fine"]["state"] == "sent"
    assert [li["title"] for li in setup.running.sis.store.all("lineItems")] == ["Fine"]
