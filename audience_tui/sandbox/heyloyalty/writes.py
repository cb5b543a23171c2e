"""Heyloyalty sandbox writes: create, replace, patch and unsubscribe members; CSV import.

Member fields arrive as form fields named after the list fields (choices as option ids, multi
choices as `interests[]`, dates yyyy-mm-dd). The import is accepted at once and processed a moment
later, as on the platform, which offers no way to follow it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import sqlite3
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..responses import JSONResponse
from ..store import Store
from .data import FIELD_COLUMNS, new_member_id, now_text
from .http import error, form, list_fields, list_row, member_row
from .query import BadRequest, email_equals, typed_value

log = logging.getLogger("audience_tui.sandbox.heyloyalty.routes")
IMPORT_DELAY = 0.2  # seconds before an accepted import is processed
NEEDS_CONTACT = "Either email or mobile field must be filled"
_DATE_TOKENS = {"d": "%d", "m": "%m", "Y": "%Y", "y": "%y"}
_DELIMITERS = {",": ",", "komma": ",", ";": ";", "semicolon": ";", "|": "|", "pipe": "|",
               ":": ":", "colon": ":"}  # fmt: skip
_pending: set[asyncio.Task[None]] = set()  # keeps running imports referenced until done


def stored_values(fields: dict[str, dict[str, Any]], given: dict[str, Any]) -> dict[str, Any]:
    """Validated storage values for the list fields present in `given` (400 on a bad one)."""
    out: dict[str, Any] = {}
    for name, spec in fields.items():
        if name not in given:
            continue
        raw, fmt, options = given[name], spec["format"], spec.get("options") or {}
        items = [str(i).strip() for i in (raw if isinstance(raw, list) else [raw])]
        items = [i for i in items if i]
        if fmt in ("choice", "multi") and any(i not in options for i in items):
            raise BadRequest(f"Invalid option for the field {name}")
        if fmt == "multi":
            out[name] = "," + ",".join(items) + "," if items else None
        elif not items:
            out[name] = None
        elif fmt == "number":
            number = typed_value(fmt, name, items[0])
            if not float(number).is_integer():
                raise BadRequest(f"The field {name} must be a whole number")
            out[name] = int(number)
        elif fmt in ("date", "boolean"):
            out[name] = typed_value(fmt, name, items[0])
        else:
            out[name] = items[0][:255]
    return out


def _insert(conn: sqlite3.Connection, list_id: int, values: dict[str, Any], status: str,
            imported: bool = False) -> str:  # fmt: skip
    member_id, stamp = new_member_id(), now_text()
    position = conn.execute(
        "SELECT coalesce(max(position), 0) + 1 FROM heyloyalty_members WHERE list_id = ?",
        (list_id,),
    ).fetchone()[0]
    columns = ["id", "list_id", "position", "status", "imported", "created_at", "updated_at",
               *values]  # fmt: skip
    conn.execute(
        f"INSERT INTO heyloyalty_members ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' * len(columns))})",
        [member_id, list_id, position, status, int(imported), stamp, stamp, *values.values()],
    )
    return member_id


REACTIVATE = (
    "imported = 1, unsubscribed_at = NULL, "
    "status = CASE status WHEN 'unsubscribed' THEN 'active' ELSE status END"
)


def _update(conn: sqlite3.Connection, rid: int, values: dict[str, Any], extra: str = "") -> None:
    sets = [f"{name} = ?" for name in values] + ["updated_at = ?"] + ([extra] if extra else [])
    conn.execute(
        f"UPDATE heyloyalty_members SET {', '.join(sets)} WHERE rid = ?",
        [*values.values(), now_text(), rid],
    )


async def create_member(request: Request, store: Store) -> Response:
    given, _ = await form(request)

    def create(conn: sqlite3.Connection) -> str | None:
        row = list_row(conn, request.path_params["list_id"])
        if row is None:
            return None
        values = stored_values(list_fields(row), given)
        if not values.get("email") and not values.get("mobile"):
            raise BadRequest(NEEDS_CONTACT)
        pending = row["optin"] and str(given.get("skipOptIn", "")) != "1"
        return _insert(conn, row["id"], values, "temporary" if pending else "active")

    member_id = await store.run_write(create)
    if member_id is None:
        return error(404, "list not found")
    return JSONResponse({"id": member_id}, status_code=201)


async def change_member(request: Request, store: Store) -> Response:
    """PUT replaces every field and re-activates; PATCH changes the sent ones; DELETE
    unsubscribes (again: no error), and with obscureMemberData=true also blanks every personal
    field (the right to be forgotten, as the official PHP client sends it)."""
    given, _ = await form(request)
    list_id, member_id = request.path_params["list_id"], request.path_params["member_id"]
    obscure = str(given.get("obscureMemberData", "")).lower() in ("true", "1")

    def change(conn: sqlite3.Connection) -> str | None:
        row = list_row(conn, list_id)
        if row is None:
            return "list not found"
        member = member_row(conn, list_id, member_id)
        if member is None:
            return "member not found"
        if request.method == "DELETE":
            _unsubscribe(conn, member)
            if obscure:
                _obscure(conn, member["rid"])
            return None
        fields = list_fields(row)
        if request.method == "PUT":
            values = stored_values(fields, {name: given.get(name, "") for name in fields})
            if not values.get("email") and not values.get("mobile"):
                raise BadRequest(NEEDS_CONTACT)
            _update(conn, member["rid"], values, "status = 'active', unsubscribed_at = NULL")
        else:
            _update(conn, member["rid"], stored_values(fields, given))
        return None

    missing = await store.run_write(change)
    return error(404, missing) if missing else Response(status_code=204)


async def obscure_member(request: Request, store: Store) -> Response:
    """DELETE .../members/{id}/obscure (the seed's route): irreversible, unsubscribed only."""
    list_id, member_id = request.path_params["list_id"], request.path_params["member_id"]

    def change(conn: sqlite3.Connection) -> str | None:
        if list_row(conn, list_id) is None:
            return "list not found"
        member = member_row(conn, list_id, member_id)
        if member is None:
            return "member not found"
        if member["status"] != "unsubscribed":
            raise BadRequest("Only members who have been unsubscribed can be obscured")
        _obscure(conn, member["rid"])
        return None

    missing = await store.run_write(change)
    return error(404, missing) if missing else Response(status_code=204)


def _obscure(conn: sqlite3.Connection, rid: int) -> None:
    """Every personal field blank; the member stays, unsubscribed, as an anonymous record."""
    _update(conn, rid, dict.fromkeys(FIELD_COLUMNS))


def _unsubscribe(conn: sqlite3.Connection, member: sqlite3.Row) -> None:
    """What DELETE does to a member: unsubscribed, stamped once (again: no change)."""
    if member["status"] != "unsubscribed":
        stamp = now_text()
        conn.execute(
            "UPDATE heyloyalty_members SET status = 'unsubscribed', unsubscribed_at = ?, "
            "updated_at = ? WHERE rid = ?",
            (stamp, stamp, member["rid"]),
        )


async def delete_by_field(request: Request, store: Store) -> Response:
    """v2 `DELETE /loyalty/v2/lists/members/byfield`, JSON {"field": "email"|"mobile", "value",
    "lists": [ids] (optional: every list)}: each matching member is deleted as v1's DELETE does
    (unsubscribed); 200 with [{"list_id", "member_id"}] of those found."""
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("The request body must be JSON") from None
    if not isinstance(body, dict) or body.get("field") not in ("email", "mobile"):
        raise BadRequest('"field" can be either "email" or "mobile"')
    value, lists = body.get("value"), body.get("lists")
    if not isinstance(value, str) or not value.strip():
        raise BadRequest('"value" is required')
    if lists is not None and (
        not isinstance(lists, list) or not all(isinstance(i, int) for i in lists)
    ):
        raise BadRequest('"lists" must be an array of list ids')

    def delete(conn: sqlite3.Connection) -> list[dict[str, Any]]:
        match, params = _members_where(body["field"], value.strip(), lists)
        found = conn.execute(
            f"SELECT * FROM heyloyalty_members WHERE {match} ORDER BY list_id, position", params
        ).fetchall()
        for member in found:
            _unsubscribe(conn, member)
        return [{"list_id": m["list_id"], "member_id": m["id"]} for m in found]

    return JSONResponse(await store.run_write(delete))


def _members_where(column: str, value: Any, list_ids: list[int] | None) -> tuple[str, list[Any]]:
    """SQL and arguments for the members (of `list_ids`, or of every list) whose `column` (a
    field name) is `value`, in any case. An email goes through `email_equals`, and the lists'
    term is written `+list_id` then, so that SQLite seeks the email in its two indexes instead
    of reading the list's rows through the page index (~0.7 s for the million)."""
    match, args = f"{column} = ? COLLATE NOCASE", [value]
    if column == "email" and isinstance(value, str):
        match, args = email_equals(value)
    if list_ids is None:
        return match, args
    lists = f"{'+' if column == 'email' else ''}list_id IN ({','.join('?' * len(list_ids))})"
    return f"{lists} AND {match}", [*list_ids, *args]


# --- import -----------------------------------------------------------------------------------
def _strptime_format(php: str) -> str:
    return "".join(_DATE_TOKENS.get(ch, ch) for ch in php)


def _import_rows(
    conn: sqlite3.Connection, list_id: int, columns: list[str], rows: list[list[str]],
    options: dict[str, Any],
) -> tuple[int, int, list[str]]:  # fmt: skip
    """Apply the rows; returns (created, updated, errors) as the error e-mail would list them."""
    row = list_row(conn, str(list_id))
    if row is None:
        return 0, 0, ["the list no longer exists"]
    fields = list_fields(row)
    key = options.get("duplicate_field", "email")
    handle = options.get("handle_existing", "update")
    keep_empty = str(options.get("empty_field", "0")) != "1"
    date_format = _strptime_format(str(options.get("date_format", "d-m-Y")))
    created = updated = 0
    errors: list[str] = []
    for cells in rows:
        record = dict(zip(columns, (c.strip() for c in cells), strict=False))
        try:
            for name, text in record.items():
                if fields[name]["format"] == "date" and text:
                    record[name] = datetime.strptime(text, date_format).date().isoformat()
                if fields[name]["format"] == "multi":
                    record[name] = text.split(",")  # type: ignore[assignment]  # a multi's list
            values = stored_values(fields, record)
        except (BadRequest, ValueError) as exc:
            errors.append(f"{record.get(key, '?')}: {exc}")
            continue
        if keep_empty:
            values = {k: v for k, v in values.items() if v is not None}
        if key not in FIELD_COLUMNS or not values.get(key):
            errors.append(f"{record.get('email', '?')}: no {key}")
            continue
        match, args = _members_where(key, values[key], [list_id])
        existing = conn.execute(
            f"SELECT rid FROM heyloyalty_members WHERE {match} ORDER BY position LIMIT 1", args
        ).fetchone()
        if existing is not None and handle in ("update", "updateOnly"):
            # "Re-import previously unsubscribed" is on by default (support article on
            # imports): an update re-activates an unsubscribed member.
            _update(conn, existing["rid"], values, REACTIVATE)
            updated += 1
        elif existing is None and handle in ("update", "ignore"):
            _insert(conn, list_id, values, "active", imported=True)
            created += 1
    return created, updated, errors


async def start_import(request: Request, store: Store) -> Response:
    options, files = await form(request)
    upload = files.get("file")
    row = await store.run(list_row, request.path_params["list_id"])
    if row is None:
        return error(404, "list not found")
    selected = options.get("fields_selected") or []
    selected = [selected] if isinstance(selected, str) else selected
    fields = list_fields(row)
    for name in selected:
        if name not in fields:
            raise BadRequest(f"The selected field {name} does not exist on the list {row['name']}")
    if "email" not in selected and "mobile" not in selected:
        raise BadRequest("The import needs at least the email or mobile field")
    if upload is None:
        raise BadRequest("No import file was sent")
    try:
        text = (await upload.read()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("The import file must be UTF-8 encoded CSV") from None
    delimiter = _DELIMITERS.get(str(options.get("delimiter", ",")), ",")
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(r)]
    if str(options.get("skip_header_line", "0")) == "1":
        rows = rows[1:]

    async def process() -> None:
        await asyncio.sleep(IMPORT_DELAY)
        created, updated, errors = await store.run_write(
            _import_rows, row["id"], selected, rows, options
        )
        recipient = options.get("sendErrorsTo", "nobody")
        log.info(
            "import into list %s: %d created, %d updated, %d errors (sent to %s)",
            *(row["id"], created, updated, len(errors), recipient),
        )

    task = asyncio.get_running_loop().create_task(process())
    _pending.add(task)
    task.add_done_callback(_pending.discard)
    return JSONResponse({})


async def finish_pending() -> None:
    """Wait for the imports accepted in this event loop to be carried out."""
    loop = asyncio.get_running_loop()
    while running := [t for t in _pending if t.get_loop() is loop and not t.done()]:
        await asyncio.gather(*running, return_exceptions=True)
