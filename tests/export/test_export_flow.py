"""Mark export through the real stack against a strict local SIS (1.1 and 1.2): exactly one
lineItem per assignment and one result per mark, whatever happens on the way."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from shared.ids import safe_id
from tests.export.conftest import TEACHER, ExportSetup
from tools.oneroster_sis.faults import settings_from_mapping


def marks(setup: ExportSetup) -> int:
    return sum(len(s) for s in setup.students.values())


def assignment_states(status: dict) -> dict[str, str]:
    return {a["assignment_id"]: a["state"] for a in status["assignments"]}


def update_times(setup: ExportSetup, class_id: str, assignment_id: str) -> dict[str, object]:
    """The Firestore update time of the assignment and each of its marks, by document id."""
    assignment = setup.class_ref(class_id).collection("coursework").document(assignment_id)
    docs = [assignment.get(), *assignment.collection("marks").stream()]
    return {d.reference.id: d.update_time for d in docs}


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_faults_and_duplicate_deliveries_still_give_exactly_one_of_each(
    export_setup, version: str
) -> None:
    setup: ExportSetup = export_setup(version=version)
    for class_id in setup.classes:
        setup.add_assignment(class_id, "a1", title="Fractions quiz")
        setup.add_assignment(
            class_id, "a2", title="Essay", category="Tests", max_points=100, score=91.5
        )
    setup.running.sis.faults.configure(
        settings_from_mapping(
            {
                "seed": 9,
                "rate_5xx": 0.1,
                "rate_429": 0.1,
                "retry_after_seconds": 0,
                "rate_slow": 0.02,
                "slow_seconds": 0.2,
            }
        )
    )
    for class_id in setup.classes:
        status = setup.export(class_id)
        assert set(assignment_states(status).values()) == {"sent"}, status
    # the same task delivered twice more, as at-least-once delivery allows
    for class_id in setup.classes:
        for _ in range(2):
            response = requests.post(
                f"{setup.harness.functions}/export_task",
                json={"step": "export", "district_id": setup.district, "class_id": class_id},
                headers=setup.harness.task_headers("export_task"),
                timeout=120,
            )
            assert response.status_code == 200, response.text
    assert sum(setup.running.sis.faults.counts().values()) > 0
    assert setup.sis_count("lineItems") == 2 * len(setup.classes)
    assert setup.sis_count("results") == 2 * marks(setup)
    assert all(w["status"] in (200, 201) for w in setup.running.sis.writes)
    exempt = [r for r in setup.running.sis.store.all("results") if r["scoreStatus"] == "exempt"]
    assert len(exempt) == 2 * len(setup.classes)


def test_three_exports_send_each_mark_once(export_setup) -> None:
    setup: ExportSetup = export_setup()
    class_id = setup.classes[0]
    setup.add_assignment(class_id, "a1")
    first = setup.export(class_id)
    writes_after_first = setup.result_writes()
    written_after_first = update_times(setup, class_id, "a1")
    second = setup.export(class_id)
    third = setup.export(class_id)
    assert update_times(setup, class_id, "a1") == written_after_first  # no per-mark writes
    assert assignment_states(first) == {"a1": "sent"}
    assert assignment_states(second) == assignment_states(third) == {"a1": "unchanged"}
    assert writes_after_first == len(setup.students[class_id])
    assert setup.result_writes() == writes_after_first  # nothing sent again
    assert setup.sis_count("lineItems") == 1
    assert setup.sis_count("results") == len(setup.students[class_id])
    assert {m["state"] for m in third["assignments"][0]["marks"].values()} == {"unchanged"}


def test_an_edited_mark_changes_exactly_one_result(export_setup) -> None:
    setup: ExportSetup = export_setup()
    class_id = setup.classes[0]
    setup.add_assignment(class_id, "a1")
    setup.export(class_id)
    before = {r["sourcedId"]: r for r in setup.running.sis.store.all("results")}
    student = setup.students[class_id][2]
    setup.class_ref(class_id).collection("coursework").document("a1").collection("marks").document(
        safe_id(student)
    ).update({"score": 6.5, "comment": "Regraded"})
    writes, written = setup.result_writes(), update_times(setup, class_id, "a1")
    setup.export(class_id)
    after = {r["sourcedId"]: r for r in setup.running.sis.store.all("results")}
    assert setup.result_writes() == writes + 1
    now_written = update_times(setup, class_id, "a1")
    assert [k for k in now_written if now_written[k] != written[k]] == [safe_id(student)]
    changed = [k for k in after if after[k] != before[k]]
    assert len(changed) == 1 and after[changed[0]]["score"] == 6.5
    assert set(after) == set(before)


def test_disconnect_and_reconnect_then_export_creates_no_duplicate(export_setup) -> None:
    setup: ExportSetup = export_setup(version="1.1")
    class_id = setup.classes[0]
    setup.add_assignment(class_id, "a1")
    setup.export(class_id)
    ids = sorted(r["sourcedId"] for r in setup.running.sis.store.all("results"))
    district = setup.harness.district(setup.district)
    district.update({"connected": False})
    response = setup.harness.admin(
        "PUT",
        setup.district,
        "/connection",
        {
            "version": "1.1",
            "rostering_base_url": setup.running.base_url("1.1"),
            "token_url": setup.running.token_url,
            "client_id": "test-client",
            "client_secret": "test-secret-value-0123456789",
            "local_dev": True,
        },
    )
    assert response.status_code == 200, response.text
    # forget what was sent, as a reinstalled app would: every mark is sent again, as a PUT
    for mark in (
        setup.class_ref(class_id).collection("coursework").document("a1").collection("marks")
    ).stream():
        mark.reference.update({"export": {}})
    status = setup.export(class_id)
    assert assignment_states(status) == {"a1": "unchanged"}
    assert setup.sis_count("lineItems") == 1
    assert sorted(r["sourcedId"] for r in setup.running.sis.store.all("results")) == ids


def test_refusals_explain_themselves_and_send_nothing(export_setup) -> None:
    setup: ExportSetup = export_setup()
    class_id = setup.classes[0]
    next_year = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    setup.add_assignment(class_id, "no-category", category="Field trips")
    setup.add_assignment(class_id, "no-period", due=next_year)
    setup.add_assignment(class_id, "fine")
    status = setup.export(class_id)
    by_id = {a["assignment_id"]: a for a in status["assignments"]}
    assert by_id["no-category"]["state"] == "held"
    assert "Field trips" in by_id["no-category"]["message"]
    assert "Homework" in by_id["no-category"]["message"]  # the categories it could pick
    assert by_id["no-period"]["state"] == "held"
    assert next_year.date().isoformat() in by_id["no-period"]["message"]
    assert by_id["fine"]["state"] == "sent"
    titles = [li["title"] for li in setup.running.sis.store.all("lineItems")]
    assert titles == ["Fractions quiz"]  # only "fine" reached the SIS
    assert setup.sis_count("results") == len(setup.students[class_id])


def test_default_category_is_used_when_the_name_does_not_match(export_setup) -> None:
    setup: ExportSetup = export_setup()
    setup.harness.district(setup.district).set(
        {"export": {"default_category": "Quizzes"}}, merge=True
    )
    class_id = setup.classes[0]
    setup.add_assignment(class_id, "a1", category="Field trips")
    status = setup.export(class_id)
    assert assignment_states(status) == {"a1": "sent"}
    (line_item,) = setup.running.sis.store.all("lineItems")
    category = setup.running.sis.store.get("categories", line_item["category"]["sourcedId"])
    assert category["title"] == "Quizzes"


def test_vendor_rules_are_checked_before_sending(export_setup) -> None:
    setup: ExportSetup = export_setup(version="1.1", vendor="powerschool")
    class_id = setup.classes[0]
    setup.add_assignment(class_id, "long", title="Chapter 7 review: quadratic equations")
    setup.add_assignment(class_id, "short", title="Ch 7 review", score=7.5)
    status = setup.export(class_id)
    by_id = {a["assignment_id"]: a for a in status["assignments"]}
    assert by_id["long"]["state"] == "held"
    assert "30 characters" in by_id["long"]["message"]
    assert by_id["short"]["state"] == "sent"
    assert [li["title"] for li in setup.running.sis.store.all("lineItems")] == ["Ch 7 review"]


def test_whole_number_vendors_hold_fractional_scores(export_setup) -> None:
    setup: ExportSetup = export_setup(version="1.1", vendor="skyward-sms")
    setup.harness.district(setup.district).set(
        {"export": {"default_category": "Homework"}}, merge=True
    )
    class_id = setup.classes[0]
    setup.add_assignment(class_id, "a1", score=7.5)
    status = setup.export(class_id)
    states = {m["state"] for m in status["assignments"][0]["marks"].values()}
    assert states == {"held", "sent"}  # graded 7.5 held; the exempt mark has no score
    held = [m for m in status["assignments"][0]["marks"].values() if m["state"] == "held"]
    assert all("whole-number" in m["message"] for m in held)
    assert setup.sis_count("results") == 1


def test_export_disabled_or_caller_not_a_teacher_is_refused(export_setup) -> None:
    setup: ExportSetup = export_setup()
    class_id = setup.classes[0]
    setup.add_assignment(class_id, "a1")
    url = (
        f"{setup.harness.functions}/export_teacher/districts/{setup.district}"
        f"/classes/{class_id}/export"
    )
    stranger = requests.post(url, headers=setup.harness.headers("other@x.org"), timeout=30)
    assert stranger.status_code == 404  # another district's: no existence leak
    setup.harness.district(setup.district).collection("staff").document(
        safe_id("colleague@district.example.org")
    ).set({"role": "teacher", "sis_user_id": "tch-99999"})
    colleague = requests.post(
        url, headers=setup.harness.headers("colleague@district.example.org"), timeout=30
    )
    assert colleague.status_code == 403
    assert "teacher of this class" in colleague.json()["error"]["message"]
    setup.harness.district(setup.district).update({"export_enabled": False})
    disabled = requests.post(url, headers=setup.harness.headers(TEACHER), timeout=30)
    assert disabled.status_code == 403
    assert "Enable classwork and mark exporting" in disabled.json()["error"]["message"]
    assert setup.sis_count("lineItems") == 0 and setup.sis_count("results") == 0


def test_a_teacher_links_a_hand_made_class_to_a_section_they_teach(export_setup) -> None:
    setup: ExportSetup = export_setup()
    section_cls = setup.class_ref(setup.classes[0]).get().to_dict()
    owner = section_cls["owner"]["sis_user_id"]
    manual = setup.harness.district(setup.district).collection("classes").document("hand-made")
    manual.set({"origin": "manual", "name": "My class", "owner": {"sis_user_id": owner}})
    base = f"{setup.harness.functions}/export_teacher/districts/{setup.district}/classes"
    other = next(
        s["sourcedId"]
        for s in setup.running.sis.store.all("classes")
        if not any(
            e["class"]["sourcedId"] == s["sourcedId"] and e["user"]["sourcedId"] == owner
            for e in setup.running.sis.store.all("enrollments")
        )
    )
    refused = requests.put(
        f"{base}/hand-made/link",
        json={"section_id": other},
        headers=setup.harness.headers(TEACHER),
        timeout=30,
    )
    assert refused.status_code == 403 and other in refused.json()["error"]["message"]
    linked = requests.put(
        f"{base}/hand-made/link",
        json={"section_id": section_cls["sis"]["section_id"]},
        headers=setup.harness.headers(TEACHER),
        timeout=30,
    )
    assert linked.status_code == 200, linked.text
    setup.students["hand-made"] = setup.students[setup.classes[0]][:3]
    setup.add_assignment("hand-made", "a1")
    status = setup.export("hand-made")
    assert assignment_states(status) == {"a1": "sent"}
    assert setup.sis_count("results") == 3
