"""GET /lists/{id}/members in the Heyloyalty sandbox: paging, `show`, ordering, filters.

Unfiltered pages in the default order (created_at, which is `position` order) are served at any
offset without SQLite walking past every row before it: the total comes from the counts table
the triggers keep, and the start row from checkpoints (the position of every STEP-th member of
the view), rebuilt when the view's `changes` counter moves. Filtered or sorted pages are slices
of the view's row ids, worked out once per version of the list (`heyloyalty_views`).

The page's JSON is written by SQLite in one statement (`listing_json_sql`): the sandbox shares
the app's process, and building and encoding 5,000 members in Python held the GIL for ~200 ms
per page, time the platform limit of a scan counts as the platform's own. Even in SQLite that
is ~40 ms of CPU per 5,000-member page, and concurrent pages do not run in parallel, so a
member's JSON can be stored in its row (`doc`, by `store_docs`) and the page concatenates the
stored texts (~4x less). A NULL doc is computed as before; triggers (heyloyalty_data) set doc
back to NULL whenever anything else in the row, or the list's fields, changes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any

from .http import list_fields, list_row, listing_json_sql
from .query import BadRequest, where
from .views import view_rids

MAX_PER_PAGE = 5000
SHOW = {"active": "active", "removed": "unsubscribed", "temporary": "temporary"}
# created_at order is insertion order (`position`), which the paging index covers
SORT_COLUMNS = {"created_at": "position", "updated_at": "updated_at"}
STEP = 2000
LAST = 2**63 - 1  # the largest rid
_VIEW = "FROM heyloyalty_members WHERE list_id = ? AND status = ?"
_checkpoints: dict[tuple[str, int, str], tuple[int, list[int]]] = {}
_lock = threading.Lock()


def _int_param(query: dict[str, Any], name: str, default: int) -> int:
    try:
        return int(query.get(name, default))
    except (TypeError, ValueError):
        raise BadRequest(f"The {name} parameter must be a number") from None


def _view_count(conn: sqlite3.Connection, list_id: int, status: str) -> tuple[int, int]:
    """(members, changes) of one status view, from the trigger-kept counts table."""
    row = conn.execute(
        "SELECT n, changes FROM heyloyalty_counts WHERE list_id = ? AND status = ?",
        (list_id, status),
    ).fetchone()
    return (row["n"], row["changes"]) if row else (0, 0)


def _anchor(
    conn: sqlite3.Connection, db: str, list_id: int, status: str, index: int, changes: int
) -> int:
    """The position of the view's `index`-th member (ascending), via the checkpoints."""
    if index < STEP:
        return _nth_from(conn, list_id, status, 0, index)
    key = (db, list_id, status)
    with _lock:
        cached = _checkpoints.get(key)
    if cached is None or cached[0] != changes:
        marks = [
            r[0]
            for r in conn.execute(
                f"SELECT position FROM (SELECT position, row_number() OVER (ORDER BY position) "
                f"- 1 AS r {_VIEW}) WHERE r % {STEP} = 0 ORDER BY position",
                (list_id, status),
            )
        ]
        cached = (changes, marks)
        with _lock:
            _checkpoints[key] = cached
    return _nth_from(conn, list_id, status, cached[1][index // STEP], index % STEP)


def _nth_from(conn: sqlite3.Connection, list_id: int, status: str, start: int, n: int) -> int:
    return conn.execute(
        f"SELECT position {_VIEW} AND position >= ? ORDER BY position LIMIT 1 OFFSET ?",
        (list_id, status, start, n),
    ).fetchone()[0]


def _page_rows(
    conn: sqlite3.Connection,
    db: str,
    list_id: int,
    status: str,
    count: tuple[int, int],
    offset: int,
    limit: int,
    desc: bool,
) -> tuple[str, list[Any]] | None:
    """An unfiltered page in position order, started at its anchor instead of an OFFSET: the
    FROM ... LIMIT clause and its parameters, None past the end."""
    total, changes = count
    if offset >= total:
        return None
    start = _anchor(conn, db, list_id, status, total - 1 - offset if desc else offset, changes)
    return (
        f"{_VIEW} AND position {'<=' if desc else '>='} ? "
        f"ORDER BY position {'DESC' if desc else 'ASC'} LIMIT ?",
        [list_id, status, start, limit],
    )


def _page_json(
    conn: sqlite3.Connection,
    fields: dict[str, dict[str, Any]],
    head: str,
    rows: tuple[str, list[Any]] | None,
) -> bytes:
    """The page's JSON: `head`, then its members as one JSON array, each in the listing shape,
    in the rows' order (the aggregate reads the ordered subquery, which SQLite feeds it in that
    order), then the closing brace.

    SQLite joins the members alone: brackets added there with `||` copied the whole page twice
    more (~4 ms of the 5,000-member page's ~8), where Python's join copies it once."""
    members = b""
    if rows is not None:
        member, params = listing_json_sql(fields)
        members = (
            conn.execute(
                f"SELECT CAST(group_concat(json, ',') AS BLOB) "
                f"FROM (SELECT coalesce(doc, {member}) AS json {rows[0]})",
                [*params, *rows[1]],
            ).fetchone()[0]
            or b""
        )
    return b"".join((head.encode(), b"[", members, b"]}"))


def store_docs(
    conn: sqlite3.Connection,
    list_id: int,
    first: int = 0,
    last: int = LAST,
    *,
    multi_made: bool = False,
) -> None:
    """Store the listing JSON of the list's members whose rid is in first..last and who have
    none, so their pages are concatenated instead of written (`multi_made`: with the multi
    fields' JSON made once per value, `make_multi_values`).

    `+list_id` keeps the planner on the rid range: through the list's index, a 20,000-row
    batch of the million-member list would visit all of its rows."""
    row = list_row(conn, str(list_id))
    if row is None:
        return
    member, params = listing_json_sql(list_fields(row), multi_made=multi_made)
    conn.execute(
        f"UPDATE heyloyalty_members SET doc = {member} "
        "WHERE rid BETWEEN ? AND ? AND +list_id = ? AND doc IS NULL",
        [*params, first, last, list_id],
    )


def listing(conn: sqlite3.Connection, db: str, list_id: str, query: dict[str, Any]) -> bytes | None:
    """The members page (JSON) for the parsed query string, or None when the list does not exist.

    The sandbox serves pages one at a time, in the order asked (`Store.run_in_turn`).
    """
    conn.execute("BEGIN")  # one snapshot for the total and the rows
    try:
        return _listing(conn, db, list_id, query)
    finally:
        conn.execute("COMMIT")


def _listing(
    conn: sqlite3.Connection, db: str, list_id: str, query: dict[str, Any]
) -> bytes | None:
    row = list_row(conn, list_id)
    if row is None:
        return None
    fields = list_fields(row)
    page, per_page = _int_param(query, "page", 1), _int_param(query, "perpage", 50)
    if page < 1 or per_page < 1:
        raise BadRequest("page and perpage must be at least 1")
    if per_page > MAX_PER_PAGE:
        raise BadRequest("Maximum perpage is 5.000")
    show = query.get("show", "active")
    if show not in SHOW:
        raise BadRequest("The show parameter must be one of active, removed, temporary")
    orderby = str(query.get("orderby", "created_at"))
    column = SORT_COLUMNS.get(orderby) or (orderby if orderby in fields else None)
    if column is None:
        raise BadRequest(f"Cannot order by {orderby}: no such field on the list")
    desc = str(query.get("order", "1")) == "-1"
    formats = {name: spec["format"] for name, spec in fields.items()}
    sql, args = where(query.get("filter"), str(query.get("logic", "and")).lower(), formats)
    view = (row["id"], SHOW[show])
    offset = (page - 1) * per_page
    if not sql and column == "position":
        count = _view_count(conn, *view)
        total = count[0]
        rows = _page_rows(conn, db, *view, count, offset, per_page, desc)
    else:
        rids = view_rids(conn, db, view, (sql, args), (column, desc))
        total = len(rids)
        page_rids = rids[offset : offset + per_page]
        # The slice is in the view's order already: CROSS JOIN keeps it as SQLite's outer loop,
        # so the members come in that order. An ORDER BY here sorted the page's 5,000 members,
        # JSON and all, again (~40% of a filtered page's SQL).
        rows = (
            (
                "FROM (SELECT value AS page_rid FROM json_each(?)) "
                "CROSS JOIN heyloyalty_members ON rid = page_rid",
                [json.dumps(page_rids.tolist())],
            )
            if len(page_rids)
            else None
        )
    head = f'{{"page":{page},"per_page":{per_page},"total":{total},"members":'
    return _page_json(conn, fields, head, rows)
