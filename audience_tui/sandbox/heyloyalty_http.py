"""Request and response helpers shared by the Heyloyalty sandbox's read and write handlers."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .heyloyalty_query import brackets


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


def member_row(conn: sqlite3.Connection, list_id: str, member_id: str) -> sqlite3.Row | None:
    if not list_id.isdigit():
        return None
    return conn.execute(
        "SELECT * FROM heyloyalty_members WHERE id = ? AND list_id = ?", (member_id, int(list_id))
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


def _value(spec: dict[str, Any], stored: Any, *, detail: bool) -> Any:
    """A stored value as the API shows it: the listing has {value, id} choices and
    'Y-m-d 00:00:00' dates, the detail shape bare option ids."""
    fmt, options = spec["format"], spec.get("options") or {}
    if fmt == "multi":
        ids = [i for i in (stored or "").split(",") if i]
        if detail:
            return [int(i) for i in ids]
        return [{"value": options.get(i), "id": int(i)} for i in ids]
    if fmt == "choice" and stored not in (None, ""):
        return int(stored) if detail else {"value": options.get(stored), "id": int(stored)}
    if fmt == "date" and stored and not detail:
        return f"{stored} 00:00:00"
    return stored


def member_json(row: sqlite3.Row, fields: dict[str, dict[str, Any]], *, detail: bool) -> dict:
    """A member in the listing shape (values at top level) or the detail shape (`fields`)."""
    doc: dict[str, Any] = {
        "id": row["id"],
        "status": {"status": row["status"], "email": row["email_status"], "mobile": None},
        "opt_in": None,
        "opt_in_date": None,
        "sent_mail": row["sent_mail"],
        "sent_sms": 0,
        "open_rate": row["open_rate"],
        "click_rate": row["click_rate"],
        "imported": bool(row["imported"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "unsubscribed_at": row["unsubscribed_at"],
    }
    values = {name: _value(spec, row[name], detail=detail) for name, spec in fields.items()}
    if detail:
        doc["fields"] = {name: {**spec, "value": values[name]} for name, spec in fields.items()}
        return doc
    return doc | values
