"""Heyloyalty emulated: /loyalty/v1 lists, members (list, filter, CRUD, unsubscribe) and import;
v2 delete by field.

Auth is checked as the platform does it (HMAC of the X-Request-Timestamp header, Basic-auth with
the API key); error bodies, status codes, the perpage cap and the `show` views follow the wiki's
Members page. Demo data: heyloyalty_data; parameters and filters: heyloyalty_query; writes and
the import: heyloyalty_writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..demo_credentials import DEMO
from ..responses import JSONResponse
from ..store import Store
from . import data as heyloyalty_data
from .auth import signed_by
from .http import error, list_fields, list_row, member_json, member_row
from .listing import listing
from .query import BadRequest, brackets, fold
from .writes import (
    change_member,
    create_member,
    delete_by_field,
    finish_pending,
    obscure_member,
    start_import,
)

PREFIX, DEMO_SETTINGS, DEMO_SECRETS = DEMO["heyloyalty"]
API = "/loyalty/v1"

Handler = Callable[[Request, Store], Awaitable[Response]]


def install(store: Store) -> None:
    store.add_function("hl_fold", 1, fold)
    heyloyalty_data.install(store)


def authorised(request: Request) -> bool:
    return signed_by(request.headers, DEMO_SECRETS["api_key"], DEMO_SECRETS["api_secret"])


# --- handlers ---------------------------------------------------------------------------------
async def lists(request: Request, store: Store) -> Response:
    """A bare array with live member counts (active members)."""

    def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
        rows = conn.execute(
            "SELECT l.id, l.name, l.created_at, coalesce(c.n, 0) AS members, l.open_rate, "
            "l.click_rate FROM heyloyalty_lists l LEFT JOIN heyloyalty_counts c "
            "ON c.list_id = l.id AND c.status = 'active' ORDER BY l.created_at, l.id"
        ).fetchall()
        return [dict(r) for r in rows]

    found = await store.run(read)
    if request.query_params.get("order") == "-1":
        found.reverse()
    return JSONResponse(found)


async def list_detail(request: Request, store: Store) -> Response:
    row = await store.run(list_row, request.path_params["list_id"])
    if row is None:
        return error(404, "list not found")
    doc = {k: row[k] for k in ("id", "name", "created_at")}
    doc |= {"country_id": 53, "date_format": "Y-m-d", "duplicates": "allow"}
    return JSONResponse(doc | {"fields": list_fields(row)})


async def members(request: Request, store: Store) -> Response:
    if request.method == "POST":
        return await create_member(request, store)
    query = brackets(request.query_params.multi_items())
    found = await store.run_in_turn(listing, str(store.path), request.path_params["list_id"], query)
    if found is None:
        return error(404, "list not found")
    return Response(found, media_type="application/json")


async def member(request: Request, store: Store) -> Response:
    if request.method != "GET":
        return await change_member(request, store)
    list_id, member_id = request.path_params["list_id"], request.path_params["member_id"]

    def read(conn: sqlite3.Connection) -> dict | str:
        row = list_row(conn, list_id)
        if row is None:
            return "list not found"
        found = member_row(conn, list_id, member_id)
        return "member not found" if found is None else member_json(found, list_fields(row))

    doc = await store.run(read)
    return error(404, doc) if isinstance(doc, str) else JSONResponse(doc)


def _endpoint(store: Store, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if not authorised(request):
            return error(401, "Unauthorized")
        try:
            return await handler(request, store)
        except BadRequest as exc:
            return error(400, str(exc))

    return endpoint


async def drain(store: Store) -> None:
    """Carry out the imports accepted and not yet done (see app.drain)."""
    await finish_pending()


def routes(store: Store) -> list[BaseRoute]:
    lists_path = f"{API}/lists"
    one = f"{lists_path}/{{list_id}}"
    table: list[tuple[str, Handler, list[str]]] = [
        (lists_path, lists, ["GET"]),
        (one, list_detail, ["GET"]),
        (f"{one}/members", members, ["GET", "POST"]),
        (f"{one}/members/{{member_id}}", member, ["GET", "PUT", "PATCH", "DELETE"]),
        (f"{one}/members/{{member_id}}/obscure", obscure_member, ["DELETE"]),
        (f"{one}/import", start_import, ["POST"]),
        ("/loyalty/v2/lists/members/byfield", delete_by_field, ["DELETE"]),
    ]
    return [Route(path, _endpoint(store, h), methods=methods) for path, h, methods in table]
