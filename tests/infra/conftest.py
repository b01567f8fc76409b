"""One Firestore emulator with infra/firestore.rules loaded for the rules tests of this
directory (tests/infra/rules_world.py), and the seeded database each test starts from."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.infra.rules_world import Emulator, running_emulator, seeded


@pytest.fixture(scope="package")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with running_emulator(tmp_path_factory.mktemp("firestore-rules")) as running:
        yield running


@pytest.fixture
def db(emulator: Emulator) -> Emulator:
    return seeded(emulator)
