"""Snapshots of the members screen at 120x40: a first screen, a sorted view with the cursor moved,
a cursor-paged report still loading more, and a page that failed."""

from __future__ import annotations

from tui_helpers import SIZE, members_app

from audience_tui.core.models import MemberStatus, Query
from audience_tui.demo import Sandbox
from audience_tui.sandbox.faults import FaultSpec


def test_emma_first_screen(snap_compare, sandbox: Sandbox) -> None:
    app, run_before = members_app(sandbox, "demo-emma")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_heyloyalty_sorted_with_cursor_moved(snap_compare, sandbox: Sandbox) -> None:
    keys = ("s", "s", "down", "down", "down", "right")  # by email, descending
    app, run_before = members_app(sandbox, "demo-heyloyalty", *keys)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_placewise_report_loads_more_in_order(snap_compare, sandbox: Sandbox) -> None:
    query = Query(status=MemberStatus.ACTIVE)
    app, run_before = members_app(sandbox, "demo-placewise", "pagedown", query=query)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_failed_page_says_r_retries(snap_compare, sandbox: Sandbox) -> None:
    """On Heyloyalty a page is one request, so the reason shown is always the same."""

    def fail() -> None:
        sandbox.app.spec = FaultSpec(malformed=1.0)

    app, run_before = members_app(sandbox, "demo-heyloyalty", "G", before_keys=fail)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
