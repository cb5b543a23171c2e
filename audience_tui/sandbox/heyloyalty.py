"""Heyloyalty emulated: /loyalty/v1 lists, members (list, filter, CRUD, unsubscribe) and import.

Auth is checked as the platform does it (HMAC of the X-Request-Timestamp header, Basic-auth with
the API key); error bodies, status codes, the perpage cap and the `show` views follow the wiki's
Members page. Demo data: heyloyalty_data; parameters and filters: heyloyalty_query; writes and
the import: heyloyalty_writes.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..providers.heyloyalty_wire import signature
from . import heyloyalty_data
from .heyloyalty_http import error, list_fields, list_row, member_row
from .heyloyalty_query import BadRequest, brackets, prepare, where
from .heyloyalty_writes import change_member, create_member, start_import
from .store import Store

PREFIX = "/heyloyalty"
DEMO_SETTINGS: dict[str, str] = {}
DEMO_SECRETS: dict[str, str] = {
    "api_key": "demo-heyloyalty-key",
    "api_secret": "demo-heyloyalty-secret",
}
API = "/loyalty/v1"
MAX_PER_PAGE = 5000
SHOW = {"active": "active", "removed": "unsubscribed", "temporary": "temporary"}
# created_at order is insertion order (`position`), which the paging index covers
SORT_COLUMNS = {"created_at": "position", "updated_at": "updated_at"}

Handler = Callable[[Request, Store], Awaitable[Response]]


def install(store: Store) -> None:
    heyloyalty_data.install(store)


def authorised(request: Request) -> bool:
    """Basic base64(key:signature), signature = base64(hex HMAC-SHA256(secret, timestamp))."""
    timestamp = request.headers.get("x-request-timestamp", "")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if not timestamp or scheme.lower() != "basic":
        return False
    try:
        key, _, sent = base64.b64decode(token, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    expected = signature(DEMO_SECRETS["api_secret"], timestamp)
    key_ok = hmac.compare_digest(key.encode(), DEMO_SECRETS["api_key"].encode())
    return hmac.compare_digest(sent.encode(), expected.encode()) and key_ok


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


# --- handlers ---------------------------------------------------------------------------------
async def lists(request: Request, store: Store) -> Response:
    """A bare array with live member counts (active members)."""

    def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
        rows = conn.execute(
            "SELECT l.id, l.name, l.created_at, (SELECT count(*) FROM heyloyalty_members m "
            "WHERE m.list_id = l.id AND m.status = 'active') AS members, l.open_rate, "
            "l.click_rate FROM heyloyalty_lists l ORDER BY l.created_at, l.id"
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


def _int_param(query: dict[str, Any], name: str, default: int) -> int:
    try:
        return int(query.get(name, default))
    except (TypeError, ValueError):
        raise BadRequest(f"The {name} parameter must be a number") from None


def _listing(conn: sqlite3.Connection, list_id: str, query: dict[str, Any]) -> dict | None:
    row = list_row(prepare(conn), list_id)
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
    direction = "DESC" if str(query.get("order", "1")) == "-1" else "ASC"
    formats = {name: spec["format"] for name, spec in fields.items()}
    sql, args = where(query.get("filter"), str(query.get("logic", "and")).lower(), formats)
    base = "FROM heyloyalty_members WHERE list_id = ? AND status = ?"
    base += f" AND {sql}" if sql else ""
    params = [row["id"], SHOW[show], *args]
    total = conn.execute(f"SELECT count(*) {base}", params).fetchone()[0]
    order = f"{column} {direction}" + (f", position {direction}" if column != "position" else "")
    rows = conn.execute(
        f"SELECT * {base} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, per_page, (page - 1) * per_page],
    ).fetchall()
    members = [member_json(r, fields, detail=False) for r in rows]
    return {"page": page, "per_page": per_page, "total": total, "members": members}


async def members(request: Request, store: Store) -> Response:
    if request.method == "POST":
        return await create_member(request, store)
    query = brackets(request.query_params.multi_items())
    found = await store.run(_listing, request.path_params["list_id"], query)
    return error(404, "list not found") if found is None else JSONResponse(found)


async def member(request: Request, store: Store) -> Response:
    if request.method != "GET":
        return await change_member(request, store)
    list_id, member_id = request.path_params["list_id"], request.path_params["member_id"]

    def read(conn: sqlite3.Connection) -> dict | str:
        row = list_row(conn, list_id)
        if row is None:
            return "list not found"
        found = member_row(conn, list_id, member_id)
        return (
            "member not found"
            if found is None
            else member_json(found, list_fields(row), detail=True)
        )

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


def routes(store: Store) -> list[BaseRoute]:
    lists_path = f"{API}/lists"
    one = f"{lists_path}/{{list_id}}"
    table: list[tuple[str, Handler, list[str]]] = [
        (lists_path, lists, ["GET"]),
        (one, list_detail, ["GET"]),
        (f"{one}/members", members, ["GET", "POST"]),
        (f"{one}/members/{{member_id}}", member, ["GET", "PUT", "PATCH", "DELETE"]),
        (f"{one}/import", start_import, ["POST"]),
    ]
    return [Route(path, _endpoint(store, h), methods=methods) for path, h, methods in table]
