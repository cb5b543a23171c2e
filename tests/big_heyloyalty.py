"""The big Heyloyalty list as the sandbox builds it, at a size a test can afford: TOTAL members,
the first EXACT made in Python (people.person), the rest drawn in SQL as at a million."""

from __future__ import annotations

import pytest

from audience_tui.demo import Sandbox
from audience_tui.sandbox import people
from audience_tui.sandbox.heyloyalty import data as heyloyalty_data
from audience_tui.sandbox.store import BuildProgress

TOTAL, EXACT = 120, 20
MEMBERS = "/loyalty/v1/lists/{}/members"


def with_big_list(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """`sandbox` with the big list built at TOTAL members, the first EXACT made in Python."""
    monkeypatch.setattr(people, "EXACT", EXACT)
    monkeypatch.setattr(heyloyalty_data, "BIG_TOTAL", TOTAL)
    monkeypatch.setattr(heyloyalty_data, "BATCH", 50)
    sandbox.store.write(heyloyalty_data._insert_list, heyloyalty_data.BIG_LIST)
    heyloyalty_data._build_big(sandbox.store, BuildProgress("h", TOTAL))
    return sandbox
