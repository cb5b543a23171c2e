"""Request and response helpers shared by the Heyloyalty sandbox's read and write handlers."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from starlette.requests import Request

from ..responses import JSONResponse
from .query import brackets


def error(status: int, message: str) -> JSONResponse:
    """The platform's error bodies: 400 {"error"}, otherwise {"message", "code"}."""
    if status == 400:
        return JSONResponse({"error": message}, status_code=400)
    return JSONResponse({"message": message, "code": status}, status_code=status)


def list_row(conn: sqlite3.Connection, list_id: str) -> sqlite3.Row | None:
    if not list_id.isdigit():
        return None
    return conn.execute("SELECT * FROM heyloyalty_lists WHERE id = ?", (int(list_id),)).fetchone()


def list_fields(row: sqlite3.Row) -> dict[str, dict[str, Any]]:
    """The list's `fields` map (name -> definition), as GET /lists/{id} shows it."""
    return json.loads(row["fields"])


# The big list's members drawn in SQL (heyloyalty_data) have ids whose last group is their list
# and position in hex (list_id * 2**40 + position - 1): such a member is found by its position,
# so only the other members' ids are indexed (`heyloyalty_members_id`, partial on NOT this).
# Indexed, the million random ids took 50 MB and a rewrite of the index at every commit of the
# build.
POSITIONAL_ID = "substr(id, 25) = printf('%012x', list_id * 1099511627776 + position - 1)"
_LIST_SHIFT = 40


def positional(list_id: int, member_id: str) -> int | None:
    """The position a positional id (`POSITIONAL_ID`) of this list names, else None."""
    tail = member_id[24:]
    if len(member_id) != 36 or len(tail) != 12 or not all(c in "0123456789abcdef" for c in tail):
        return None
    owner, index = divmod(int(tail, 16), 1 << _LIST_SHIFT)
    return index + 1 if owner == list_id else None


def member_row(conn: sqlite3.Connection, list_id: str, member_id: str) -> sqlite3.Row | None:
    """A member of the list by id: through the index of ids, or at the position its id names."""
    if not list_id.isdigit():
        return None
    found = conn.execute(
        f"SELECT * FROM heyloyalty_members WHERE id = ? AND list_id = ? AND NOT ({POSITIONAL_ID})",
        (member_id, int(list_id)),
    ).fetchone()
    position = positional(int(list_id), member_id)
    if found is not None or position is None:
        return found
    return conn.execute(  # the page index, one seek per status the list has
        "SELECT * FROM heyloyalty_members WHERE list_id = ? AND status IN "
        "(SELECT status FROM heyloyalty_counts WHERE list_id = ?) AND position = ? AND id = ?",
        (int(list_id), int(list_id), position, member_id),
    ).fetchone()


async def form(request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """PHP-style parameters from the query string and a form or multipart body, and the files."""
    pairs = list(request.query_params.multi_items())
    files: dict[str, Any] = {}
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        body = await request.form()
        for key, value in body.multi_items():
            if isinstance(value, str):
                pairs.append((key, value))
            else:
                files[key] = value
    return brackets(pairs), files


def _detail_value(spec: dict[str, Any], stored: Any) -> Any:
    """A stored value as the detail shape shows it: choices as bare option ids."""
    fmt = spec["format"]
    if fmt == "multi":
        return [int(i) for i in (stored or "").split(",") if i]
    if fmt == "choice" and stored not in (None, ""):
        return int(stored)
    return stored


def member_json(row: sqlite3.Row, fields: dict[str, dict[str, Any]]) -> dict:
    """A member in the detail shape: the list's fields, each with its value, under `fields`,
    and every key the seed's detail and listing samples show (those the sandbox has no data
    for as the samples give them: null, empty)."""
    return {
        "id": row["id"],
        "status": {"status": row["status"], "email": row["email_status"], "mobile": None},
        "opt_in": None,
        "opt_in_date": None,
        "created_from": {"type": "import" if row["imported"] else "api"},
        "updated_from": [],
        "sent_mail": row["sent_mail"],
        "sent_sms": 0,
        "sent_push": None,
        "open_count": row["sent_mail"] * row["open_rate"] // 100,
        "open_count_push": None,
        "open_rate": row["open_rate"],
        "click_count": row["sent_mail"] * row["click_rate"] // 100,
        "click_rate": row["click_rate"],
        "imported": bool(row["imported"]),
        "fields": {
            name: {**spec, "value": _detail_value(spec, row[name])} for name, spec in fields.items()
        },
        "system_fields": [],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "unsubscribed_at": row["unsubscribed_at"],
        "deleted_from": None,
        "reference_from": None,
        "moved_at": None,
        "moved_from": None,
        "vouchers": None,
    }


def listing_json_sql(
    fields: dict[str, dict[str, Any]], *, multi_made: bool = False
) -> tuple[str, list[Any]]:
    """An SQL expression (and its parameters) giving a member row in the listing shape as JSON
    text: the detail shape's keys with the field values at top level, choices as {value, id}
    and dates as 'Y-m-d 00:00:00'.

    SQLite writes the JSON (`json_object` escapes strings exactly as Python's json does with
    ensure_ascii off) while the GIL is released, so a 5,000-member page costs the event loop
    no Python work per member. Field names and option labels are bound, never spliced in.
    `multi_made`: a multi field's JSON is taken from `MULTI_MADE` where it holds the value (a
    build's connection, `make_multi_values`), made as usual otherwise.
    """
    args: list[str] = []
    params: list[Any] = []

    def pair(key: str, expr: str, *bound: Any) -> None:
        args.extend(("?", expr))
        params.extend((key, *bound))

    pair("id", "id")
    pair("status", "json_object('status', status, 'email', email_status, 'mobile', NULL)")
    pair("opt_in", "NULL")
    pair("opt_in_date", "NULL")
    pair("sent_mail", "sent_mail")
    pair("sent_sms", "0")
    pair("sent_push", "NULL")
    pair("open_count", "sent_mail * open_rate / 100")  # the counts the rates were made from
    pair("open_count_push", "NULL")
    pair("open_rate", "open_rate")
    pair("click_count", "sent_mail * click_rate / 100")
    pair("click_rate", "click_rate")
    pair("imported", "json(CASE WHEN imported THEN 'true' ELSE 'false' END)")
    for column in ("created_at", "updated_at"):
        pair(column, column)
    pair("created_by", "''")
    pair("deleted_from", "NULL")
    pair("inSegment", "json('true')")
    pair("unsubscribed_at", "unsubscribed_at")
    for name, spec in fields.items():
        expr, *bound = _listing_value_sql(f'"{name}"', spec)
        if multi_made and spec["format"] == "multi":
            made = f'SELECT json(json) FROM {MULTI_MADE} WHERE field = ? AND value = "{name}"'
            expr, bound = f"coalesce(({made}), {expr})", [name, *bound]
        pair(name, expr, *bound)
    return f"json_object({', '.join(args)})", params


# A build's multi fields' JSON, made once per value its members can hold: the million-member
# list's Interests take one of 93 values, and making each member's by `json_each` was ~1/4 of
# its listing JSON's CPU (~1 s of the build).
MULTI_MADE = "temp.heyloyalty_multi_made"


def make_multi_values(
    conn: sqlite3.Connection, fields: dict[str, dict[str, Any]], values: str
) -> None:
    """Fill `MULTI_MADE` (on this connection) for the list's multi fields from the stored values
    the SELECT `values` gives (its column named `value`), each made by the listing's own SQL."""
    columns = "field, value, json, PRIMARY KEY (field, value)"
    conn.execute(f"CREATE TABLE IF NOT EXISTS {MULTI_MADE} ({columns})")
    for name, spec in fields.items():
        if spec["format"] != "multi":
            continue
        expr, *bound = _listing_value_sql(f'"{name}"', spec)
        conn.execute(
            f'INSERT OR REPLACE INTO {MULTI_MADE} SELECT ?, "{name}", {expr} FROM '
            f'(SELECT DISTINCT value AS "{name}" FROM ({values}) WHERE value IS NOT NULL)',
            [name, *bound],
        )


def _listing_value_sql(column: str, spec: dict[str, Any]) -> tuple[str, ...]:
    """The SQL (and its parameters) of one field's value in the listing shape."""
    fmt, options = spec["format"], spec.get("options") or {}
    labels = [part for option in options.items() for part in option]

    def choice(value: str) -> str:
        label = f"CASE {value} {' WHEN ? THEN ?' * len(options)} END" if options else "NULL"
        return f"json_object('value', {label}, 'id', CAST({value} AS INTEGER))"

    if fmt == "multi":  # stored ',1,3,': the option ids in order, empty parts skipped
        ids = f"""json_each('["' || replace({column}, ',', '","') || '"]')"""
        array = f"SELECT json_group_array({choice('value')}) FROM {ids} WHERE value != ''"
        return f"json(({array}))", *labels
    if fmt == "choice":
        empty = f"{column} IS NULL OR {column} = ''"
        return f"CASE WHEN {empty} THEN {column} ELSE {choice(column)} END", *labels
    if fmt == "date":
        return (f"CASE WHEN {column} != '' THEN {column} || ' 00:00:00' ELSE {column} END",)
    return (column,)
