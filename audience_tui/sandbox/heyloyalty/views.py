"""The members of a filtered or sorted Heyloyalty view, in its order, worked out once per version.

A page of such a view used to run two statements over the whole list: `count(*)` for the total
and `ORDER BY ... LIMIT ... OFFSET`, which filters (and sorts) every member before the offset
again. A scan of the 92,070 members a filter leaves of the million-member list read its 19 pages
that way, each walking the million rows twice: 58 s, ~15x an unfiltered scan per member, and a
sorted page of the million took 4-6 s. Here the view's row ids are read once (one pass, one sort)
and kept while the list's members are unchanged, so every page is a slice: the total is its
length and the page's rows are fetched by id.

The version is the list's `changes` in the counts table, which the triggers move on every insert,
status change and field update of its members (heyloyalty_data).
"""

from __future__ import annotations

import sqlite3
import threading
from array import array
from collections import OrderedDict
from typing import Any

KEPT = 4  # views kept at once: ~8 MB each for the million-member list
_views: OrderedDict[tuple[Any, ...], tuple[int, array[int]]] = OrderedDict()
_lock = threading.Lock()


def list_version(conn: sqlite3.Connection, list_id: int) -> int:
    """A number that moves whenever any member of the list is added or changed."""
    row = conn.execute(
        "SELECT total(changes) FROM heyloyalty_counts WHERE list_id = ?", (list_id,)
    ).fetchone()
    return int(row[0])


def view_rids(
    conn: sqlite3.Connection,
    db: str,
    view: tuple[int, str],
    condition: tuple[str, list[Any]],
    order: tuple[str, bool],
) -> array[int]:
    """The row ids of the view's members (list and status, the filter's SQL condition and its
    arguments, the order column and whether descending), in the order its pages list them."""
    (sql, args), (column, desc) = condition, order
    key = (db, *view, sql, tuple(args), column, desc)
    version = list_version(conn, view[0])
    with _lock:
        cached = _views.get(key)
        if cached is not None and cached[0] == version:
            _views.move_to_end(key)
            return cached[1]
    direction = "DESC" if desc else "ASC"
    where = f"AND {sql}" if sql else ""
    rids = array(
        "q",
        (
            r[0]
            for r in conn.execute(
                f"SELECT rid FROM heyloyalty_members WHERE list_id = ? AND status = ? {where} "
                f"ORDER BY {column} {direction}, position {direction}",
                [*view, *args],
            )
        ),
    )
    with _lock:
        _views[key] = (version, rids)
        _views.move_to_end(key)
        while len(_views) > KEPT:
            _views.popitem(last=False)
    return rids
