"""The web console in headless Chromium (issue 15, "Browser tests"): what an admin does on each
page, checked on the page and in Firestore. The page calls the real admin API of the local stack
with a real ID token; the SIS is a real local OneRoster server."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.conftest import ADMIN, CLIENT_ID, CLIENT_SECRET, SyncHarness, active
from tests.console.conftest import TEACHER, Console, stored_token
from tests.held_runs_sis import empty_sections, taught_sections
from tools.oneroster_sis.faults import FaultSettings
from tools.oneroster_sis.harness import RunningSis

MakeSis = Callable[..., RunningSis]


def _district_doc(harness: SyncHarness, district: str) -> dict[str, Any] | None:
    return harness.district(district).get().to_dict()


def _connection_fields(running: RunningSis, secret: str) -> dict[str, str]:
    return {
        "rostering_base_url": running.base_url("1.2"),
        "gradebook_base_url": running.base_url("1.2", "gradebook"),
        "token_url": running.token_url,
        "client_id": CLIENT_ID,
        "client_secret": secret,
    }


def _choose(console: Console, element_id: str, value: str) -> None:
    """Picks ``value`` in a <select>, or types it in an input."""
    element = console.driver.find_element(By.ID, element_id)
    if element.tag_name == "select":
        Select(element).select_by_value(value)
    else:
        console.fill(element_id, value)


def _fill_connect_form(console: Console, running: RunningSis, secret: str) -> None:
    console.visible("connect-form")
    _choose(console, "vendor", "generic")
    console.text_in("vendor-help", "oneroster")
    _choose(console, "version", "1.2")
    for element_id, value in _connection_fields(running, secret).items():
        console.fill(element_id, value)


def test_a_wrong_secret_shows_the_cause_and_saves_nothing(
    console: Console, make_sis: MakeSis, sync_harness: SyncHarness, new_district: Callable[[], str]
) -> None:
    running, district = make_sis(students=40), new_district()
    before = _district_doc(sync_harness, district)
    console.open(district, "/connect")
    _fill_connect_form(console, running, "not-the-secret")
    console.driver.find_element(By.ID, "authorize").click()
    problem = console.text_in("problem", "refused")
    assert "secret" in problem and "nothing was saved" in problem.lower()
    assert console.visible("problem").get_attribute("role") == "alert"
    assert "not-the-secret" not in problem
    assert "connected" not in console.driver.find_element(By.ID, "connect-result").text.lower()
    assert _district_doc(sync_harness, district) == before
    console.shot("connect-wrong-secret")


def test_a_right_secret_connects_and_the_secret_is_never_shown_again(
    console: Console, make_sis: MakeSis, sync_harness: SyncHarness, new_district: Callable[[], str]
) -> None:
    running, district = make_sis(students=40), new_district()
    console.open(district, "/connect")
    _fill_connect_form(console, running, CLIENT_SECRET)
    console.driver.find_element(By.ID, "authorize").click()
    result = console.text_in("connect-result", "connected")
    assert "school" in result.lower()
    assert console.driver.find_element(By.ID, "client_secret").get_attribute("value") == ""
    console.text_in("connection", "secret stored")
    console.shot("connect")
    doc = _district_doc(sync_harness, district) or {}
    assert doc["connected"] is True
    assert CLIENT_SECRET not in str(doc)
    console.driver.refresh()
    console.text_in("connection", running.token_url)
    assert CLIENT_SECRET not in console.driver.page_source
    console.driver.find_element(By.ID, "disconnect").click()
    console.visible("confirm-disconnect")
    console.driver.find_element(By.ID, "confirm-disconnect-yes").click()
    console.text_in("connection", "disconnected")
    assert (_district_doc(sync_harness, district) or {}).get("connected") is False


def _api_polls_since(driver: WebDriver, since: float) -> int:
    """How many requests for the runs or a run the page started after ``since`` (its clock)."""
    count: int = driver.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.startTime > arguments[0]"
        " && e.name.includes('/api/') && e.name.includes('/runs')).length;",
        since,
    )
    return count


def _progress(driver: WebDriver) -> tuple[float, float] | bool:
    """The value and max of a shown #run-progress of a run under way."""
    found = driver.find_elements(By.ID, "run-progress")
    if not found or not found[0].is_displayed():
        return False
    value, top = (float(found[0].get_attribute(a) or 0) for a in ("value", "max"))
    return (value, top) if top > 0 else False


def _choose_the_only_school(console: Console, running: RunningSis, district: str) -> str:
    """On #/schools, turns "Every school" off and picks the SIS's one school by its label."""
    school = next(o for o in running.sis.store.all("orgs") if o["type"] == "school")
    console.open(district, "/schools")
    console.css_text("#schools", school["name"])
    console.driver.find_element(By.ID, "all-schools").click()
    box = console.driver.find_element(
        By.CSS_SELECTOR, f'input[name=school][value="{school["sourcedId"]}"]'
    )
    label = console.driver.find_element(By.CSS_SELECTOR, f'label[for="{box.get_attribute("id")}"]')
    assert label.text == school["name"]
    if not box.is_selected():
        label.click()
    console.driver.find_element(By.ID, "save-schools").click()
    console.text_in("schools-saved", "1 school")
    return str(school["sourcedId"])


def test_a_sync_started_on_the_page_shows_progress_to_the_end_and_lists_the_schools(
    console: Console, make_sis: MakeSis, sync_harness: SyncHarness
) -> None:
    running = make_sis(students=40)
    district = sync_harness.register(running)
    # One enrollments page answers after 1.5 s, so the page sees the run under way.
    running.sis.faults.configure(FaultSettings(slow_seconds=1.5))
    running.sis.faults.script("slow", path_contains="/enrollments")
    console.open(district, "/runs")
    console.visible("runs")
    console.driver.execute_script("performance.setResourceTimingBufferSize(10000);")
    clicked = console.driver.execute_script("return performance.now();")
    console.driver.find_element(By.ID, "sync-full").click()
    run_id = console.until(
        lambda d: d.execute_script(
            "return document.querySelector('#runs tr[data-run-id]')?.dataset.runId;"
        ),
        "the started run has no row",
    )
    value, top = console.until(_progress, "no #run-progress while the run was under way")
    assert 0 <= value <= top
    console.css_text(f'#runs tr[data-run-id="{run_id}"]', "succeeded")
    status = sync_harness.admin("GET", district, f"/runs/{run_id}").json()
    assert status["state"] in ("succeeded", "succeeded_with_warnings"), status
    pages = status["progress"]
    done = f"{pages['pages_done']} / {pages['pages_known']}"
    console.css_text(f'#runs tr[data-run-id="{run_id}"]', done)
    console.shot("runs")
    assert _api_polls_since(console.driver, clicked) >= 2, "the page did not poll the run"
    ended = console.driver.execute_script("return performance.now();")
    time.sleep(1.5)  # the page polls every second while a run is under way
    assert _api_polls_since(console.driver, ended) == 0, "the page still polls after the run"
    # The schools page lists what the run's start step saw; choosing one is saved.
    school = _choose_the_only_school(console, running, district)
    assert sync_harness.admin("GET", district, "/settings").json()["selected_schools"] == [school]


def test_a_held_run_approved_on_the_page_changes_the_classes(
    console: Console, make_sis: MakeSis, sync_harness: SyncHarness
) -> None:
    running = make_sis(students=40)
    district = sync_harness.register(running, page_size=500)
    sync_harness.sync(district)
    emptied = [f"sis-{s}" for s in taught_sections(running)[:2]]
    assert empty_sections(running, [s.removeprefix("sis-") for s in emptied]) > 0
    held = sync_harness.sync(district)
    assert held["state"] == "held", held
    classes = sync_harness.classes(district)
    assert sum(len(active(classes[c]["students"])) for c in emptied) > 0
    console.open(district, f"/runs/{held['run_id']}")
    console.text_in("run-state", "held")
    console.text_in("holds", "students removed")
    console.shot("run-held")
    console.driver.find_element(By.ID, "approve").click()
    console.text_in("run-state", "succeeded")
    classes = sync_harness.classes(district)
    assert sum(len(active(classes[c]["students"])) for c in emptied) == 0


def test_a_data_warning_shows_with_its_fix_and_downloads_as_csv(
    console: Console, make_sis: MakeSis, sync_harness: SyncHarness, downloads: Path
) -> None:
    running = make_sis(students=40)
    student = next(u for u in running.sis.store.all("users") if u["roles"][0]["role"] == "student")
    running.sis.store.patch("users", student["sourcedId"], {"email": "not-an-address"})
    district = sync_harness.register(running, page_size=500)
    run = sync_harness.sync(district)
    assert run["state"] == "succeeded_with_warnings", run
    console.open(district, f"/runs/{run['run_id']}")
    console.text_in("run-state", "warnings")
    console.css_text(
        '#warnings tr[data-code="malformed_email"]', "correct the user's email in the SIS", "user"
    )
    console.shot("run-detail")
    console.driver.find_element(By.ID, "warnings-csv").click()
    csv = console.until(lambda _: _downloaded_csv(downloads), "no CSV was downloaded")
    assert "malformed_email" in csv and student["sourcedId"] in csv


def test_a_school_whose_plan_could_not_have_moved_shows_as_unchanged(
    console: Console, make_sis: MakeSis, sync_harness: SyncHarness
) -> None:
    running = make_sis(students=40)
    district = sync_harness.register(running)
    sync_harness.sync(district)
    again = sync_harness.sync(district)
    console.open(district, f"/runs/{again['run_id']}")
    console.css_text("#run-schools tr[data-school-id]", "applied (unchanged since its last sync)")
    console.shot("run-quiet-school")


def _downloaded_csv(folder: Path) -> str | bool:
    done = [p for p in folder.glob("*.csv") if p.stat().st_size]
    return done[0].read_text() if done else False


def test_a_teacher_sees_forbidden_and_no_data(
    console: Console, make_sis: MakeSis, sync_harness: SyncHarness
) -> None:
    running = make_sis(students=40)
    district = sync_harness.register(running)
    for route in ("/runs", "/settings", "/connect"):
        console.open(district, route, email=TEACHER)
        console.text_in("forbidden", f"{TEACHER} is not an admin of district {district}")
        source = console.driver.page_source
        assert running.token_url not in source and CLIENT_ID not in source
        assert not console.driver.find_elements(By.CSS_SELECTOR, "tr[data-run-id]")
    console.shot("forbidden")
    console.driver.find_element(By.ID, "signout").click()
    console.visible("signin")
    assert stored_token(console.driver) is None


def test_a_bad_setting_names_the_field_and_saves_nothing(
    console: Console, make_sis: MakeSis, sync_harness: SyncHarness
) -> None:
    district = sync_harness.register(make_sis(students=40))
    before = sync_harness.admin("GET", district, "/settings").json()
    console.open(district, "/settings")
    console.visible("settings-form")
    console.fill("guard-max-fraction", "5")
    console.driver.find_element(By.ID, "save-settings").click()
    problem = console.text_in("problem", "max_fraction")
    assert console.driver.find_element(By.ID, "settings-saved").text.strip() == "" or not (
        console.driver.find_element(By.ID, "settings-saved").is_displayed()
    ), problem
    assert sync_harness.admin("GET", district, "/settings").json() == before
    console.fill("guard-max-fraction", "0.2")
    console.fill("guard-max-count", "30")
    console.driver.find_element(By.ID, "save-settings").click()
    console.visible("settings-saved")
    guards = sync_harness.admin("GET", district, "/settings").json()["guards"]
    assert (guards["max_fraction"], guards["max_count"]) == (0.2, 30)
    console.shot("settings")


def _tab_to(console: Console, element_id: str, limit: int = 40) -> None:
    for _ in range(limit):
        if console.driver.execute_script("return document.activeElement.id;") == element_id:
            return
        ActionChains(console.driver).send_keys(Keys.TAB).perform()
    raise AssertionError(f"#{element_id} cannot be reached with Tab")


def test_the_connect_form_works_with_the_keyboard_only(
    console: Console, make_sis: MakeSis, sync_harness: SyncHarness, new_district: Callable[[], str]
) -> None:
    running, district = make_sis(students=40), new_district()
    console.open(district, "/connect")
    console.visible("connect-form")
    keys = ActionChains(console.driver)
    for element_id, value in _connection_fields(running, CLIENT_SECRET).items():
        _tab_to(console, element_id)
        keys.key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys(value).perform()
        keys = ActionChains(console.driver)
    keys.send_keys(Keys.ENTER).perform()
    console.text_in("connect-result", "connected")
    assert (_district_doc(sync_harness, district) or {}).get("connected") is True
    assert ADMIN in console.driver.find_element(By.ID, "whoami").text
