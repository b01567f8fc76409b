"""A school's first sync through the real stack (Cloud Tasks service, functions server, Firestore
emulator): the page copies its school steps put the mirror together from
(shared/sync/mirror_copies.py) hold what the emulator returns for the mirror read whole, value for
value, and the snapshot the steps saved from them is that mirror too."""

from __future__ import annotations

from shared.adapters.firestore_store import FirestoreStore
from shared.sync.mirror_copies import read_copies
from shared.sync.mirror_snapshot import decoded
from shared.sync.mirror_store import _read_whole, read_school_mirror
from shared.sync.school_inputs import read_fetches, read_pages
from tests.conftest import SyncHarness


def test_the_copies_on_the_emulator_are_the_mirror_read_whole(make_sis, sync_harness) -> None:
    harness: SyncHarness = sync_harness
    running = make_sis(students=90, schools=2, seed=7)
    district = harness.register(running)
    status = harness.sync(district)
    assert status["state"] in ("succeeded", "succeeded_with_warnings"), status
    store, run_id = FirestoreStore(harness.db), status["run_id"]
    schools = [o["sourcedId"] for o in running.sis.store.all("orgs") if o.get("type") == "school"]
    assert schools
    for school in schools:
        fetches = read_fetches(store, district, run_id, school)
        copies = read_pages(store, district, run_id, school, fetches).copies
        assert copies, school
        whole = _read_whole(store, district, school)
        assert read_copies(store, district, run_id, copies) == whole
        saved = read_school_mirror(store, district, school)
        assert not saved.whole and saved.docs == decoded(whole)
