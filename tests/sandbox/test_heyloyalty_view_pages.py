"""A page of a filtered or sorted Heyloyalty view is read in the view's order as it is worked out
(sandbox/heyloyalty/views.py), with no sort of its members again: sorting a 5,000-member page
carried their JSON through SQLite's sorter, ~40% of a filtered page's SQL (figure 6e)."""

from __future__ import annotations

import json

import pytest

from audience_tui.demo import Sandbox
from audience_tui.sandbox.heyloyalty.listing import listing


@pytest.mark.parametrize(
    "query",
    [
        {"filter": {"country": {"eq": ["53"]}}, "perpage": "20", "page": "2"},
        {"orderby": "firstname", "order": "-1", "perpage": "25"},
    ],
)
def test_a_view_page_is_not_sorted_again(sandbox: Sandbox, query: dict[str, object]) -> None:
    conn = sandbox.store.connect()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)  # each statement with its values bound
    try:
        page = json.loads(listing(conn, "test", "1", query) or b"null")
    finally:
        conn.set_trace_callback(None)
    assert page["members"], "the view has members on this page"
    rows = next(sql for sql in statements if "group_concat" in sql)
    plan = [step[-1] for step in conn.execute(f"EXPLAIN QUERY PLAN {rows}")]
    assert not any("TEMP B-TREE" in step for step in plan), plan
