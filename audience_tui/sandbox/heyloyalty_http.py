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
