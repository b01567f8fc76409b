"""The teacher section of `make demo` runs against a synced district and shows what it says."""

from __future__ import annotations

from tests.classroom.conftest import Classroom
from tests.conftest import id_token
from tools.demo_classroom import classroom_demo


def test_the_demo_shows_a_teacher_accepting_renaming_and_adding_a_student(classroom: Classroom):
    harness = classroom.harness
    ok = classroom_demo(
        harness.functions,
        harness.db,
        classroom.district,
        lambda email: id_token(harness.stack, email),
        lambda kind: harness.sync(classroom.district, kind=kind),
        step=9,
    )
    assert ok
