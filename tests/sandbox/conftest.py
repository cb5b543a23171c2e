"""Fixtures of the sandbox's own tests."""

from __future__ import annotations

import pytest
from big_heyloyalty import EXACT, TOTAL

from audience_tui.demo import Sandbox
from audience_tui.sandbox import people
from audience_tui.sandbox.heyloyalty import data as heyloyalty_data
from audience_tui.sandbox.store import BuildProgress


@pytest.fixture
def big(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """The test's sandbox with the big list at TOTAL members, the first EXACT made in Python."""
    monkeypatch.setattr(people, "EXACT", EXACT)
    monkeypatch.setattr(heyloyalty_data, "BIG_TOTAL", TOTAL)
    monkeypatch.setattr(heyloyalty_data, "BATCH", 50)
    sandbox.store.write(heyloyalty_data._insert_list, heyloyalty_data.BIG_LIST)
    heyloyalty_data._build_big(sandbox.store, BuildProgress("h", TOTAL))
    return sandbox
