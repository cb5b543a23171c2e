"""The demo never shows a date in the future: every date its lists are seeded with (joining,
leaving, changes) lies before the demo's present, people.DEMO_TODAY (Kajabi's, which are counted
back from the day the demo was seeded, before that day), the same on every run."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from audience_tui.demo import Sandbox
from audience_tui.sandbox.people import DEMO_TODAY, later

DATE = re.compile(r"^(?:@D:)?(\d{4}-\d{2}-\d{2})")


def test_a_step_after_joining_stays_before_the_present() -> None:
    joined = datetime(2024, 12, 1, tzinfo=UTC)
    assert later(joined, timedelta(days=30)) == joined + timedelta(days=30)  # one that fits
    for days in range(0, 2000, 37):
        assert joined <= later(joined, timedelta(days=days)) < DEMO_TODAY
    assert later(DEMO_TODAY, timedelta(days=3)) == DEMO_TODAY  # no room: the start itself


def test_no_seeded_date_lies_after_the_demo_present(sandbox: Sandbox) -> None:
    conn = sandbox.store.connect()
    tables = [
        name
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if name.split("_")[0] in ("heyloyalty", "ownpage", "emma", "kajabi")
    ]
    today = DEMO_TODAY.date().isoformat()
    seeded_on = datetime.now(UTC).date().isoformat()
    checked = 0
    for table in tables:
        for row in conn.execute(f"SELECT * FROM {table}"):  # names from the schema
            for value in row:
                found = DATE.match(value) if isinstance(value, str) else None
                if found is None:
                    continue
                checked += 1
                limit = seeded_on if table.startswith("kajabi") else today
                assert found.group(1) <= limit, (table, value)
    assert checked > 10_000
