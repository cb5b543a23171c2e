"""Placewise MPC sandbox: loyalty clubs, the v3 member API and the Reporting API.

Served under /placewise at the real paths: `/v3/loyalty_clubs`, `/v3/{slug}/members...` and
`POST /v1/reporting/query`. Required headers are enforced as documented (missing -> 470, malformed
-> 471, bad `X-Client-Authorization` -> 401), errors are `{"error": "..."}`, and a token bucket per
customer and type (general / reporting) reports `ratelimit-bucket`, `ratelimit-remaining` and
`ratelimit-cost` on every answer. As the docs say, only the Reporting bucket is enforced (429 with
Retry-After); the general one reports without refusing ("reporting-only mode").
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from ..demo_credentials import DEMO
from ..responses import JSONResponse
from ..store import Store
from . import data, imports, reporting
from . import writes as members
from .query import QueryError, query_hash
from .storage import read_columns

PREFIX, DEMO_SETTINGS, DEMO_SECRETS = DEMO["placewise"]
# Token bucket (capacity, refill per second): generous, so ordinary use never meets a 429.
BUCKET_CAPACITY = 200.0
BUCKET_REFILL = 100.0
MAX_PER_PAGE = 1000
_PRODUCT = re.compile(r"^[\w .\-]{1,64}$")
_CUSTOMER_IDS = re.compile(r"^(?:id=)?(\d+(?:_\d+){0,39})$")
_CUSTOMER_FILTERS = re.compile(r"^(?:chain|country)=[^;=]+(?:;(?:chain|country)=[^;=]+)*$")
_READ = read_columns("m")
_SORTABLE = {"id": "m.position", "created_at": "m.position", "updated_at": "m.updated_at"}


class Refusal(Exception):
    """An error answer: {"error": message} plus any documented extras."""

    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
    ):
        super().__init__(message)
        self.status, self.body, self.headers = status, {"error": message, **extra}, headers or {}


@dataclass
class Context:
    """Who is calling, and the bucket state to report on the answer."""

    owner: str
    kind: str  # general | reporting
    buckets: Buckets | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def charge(self, cost: int) -> None:
        if self.buckets is not None:
            self.buckets.charge(self, cost)


class Buckets:
    """Token buckets per (customer, type); the capacity and refill constants are read at each
    call, so tests can shrink them."""

    def __init__(self) -> None:
        self._state: dict[str, tuple[float, float]] = {}

    def charge(self, ctx: Context, cost: int) -> None:
        key = f"customer:{ctx.owner}:{ctx.kind}"
        now = time.monotonic()
        tokens, at = self._state.get(key, (BUCKET_CAPACITY, now))
        tokens = min(BUCKET_CAPACITY, tokens + (now - at) * BUCKET_REFILL)
        ctx.headers = {"ratelimit-bucket": key, "ratelimit-cost": str(cost)}
        if ctx.kind == "reporting" and tokens < cost:
            self._state[key] = (tokens, now)
            wait = math.ceil((cost - tokens) / BUCKET_REFILL)
            ctx.headers["ratelimit-remaining"] = str(math.floor(tokens))
            raise Refusal(429, "Rate limit exceeded", {**ctx.headers, "Retry-After": str(wait)})
        self._state[key] = (tokens - cost, now)
        ctx.headers["ratelimit-remaining"] = str(math.floor(tokens - cost))


def _check_headers(request: Request, reporting_api: bool) -> Context:
    h = request.headers
    required = ["X-User-Agent", "X-Product-Name"]
    if request.method in ("POST", "PUT"):
        required.append("Content-Type")
    if reporting_api:
        required.append("X-Customer")
    for name in required:
        if not h.get(name, "").strip():
            raise Refusal(470, f"Missing required header: {name}")
    agent = h["X-User-Agent"]
    if len(agent) > 255 or any(ord(ch) < 32 for ch in agent):
        raise Refusal(471, "Malformed header: X-User-Agent")
    if not _PRODUCT.match(h["X-Product-Name"]):
        raise Refusal(471, "Malformed header: X-Product-Name")
    if "Content-Type" in required and h["Content-Type"].split(";")[0].strip() != "application/json":
        raise Refusal(471, "Malformed header: Content-Type (use application/json)")
    if h.get("X-Client-Authorization") != DEMO_SECRETS["token"]:
        raise Refusal(401, "Invalid or missing X-Client-Authorization token")
    if not reporting_api:
        return Context(str(data.CUSTOMER_ID), "general")
    customer = h["X-Customer"].strip()
    ids = _CUSTOMER_IDS.match(customer)
    if not (ids or customer == "all=all" or _CUSTOMER_FILTERS.match(customer)):
        raise Refusal(471, "Malformed header: X-Customer (e.g. id=1000941)")
    if ids and set(ids.group(1).split("_")) - {str(data.CUSTOMER_ID)}:
        raise Refusal(403, "Missing permit for the requested customer")
    return Context(customer, "reporting")


def _customer_clubs(conn: sqlite3.Connection, customer: str) -> list[tuple[int, int]]:
    """(club id, community id) of the clubs an X-Customer value selects."""
    sql, params = "SELECT id, community_id FROM placewise_clubs", []
    ids = _CUSTOMER_IDS.match(customer)
    if ids:
        found = ids.group(1).split("_")
        sql += f" WHERE customer_id IN ({', '.join('?' for _ in found)})"
        params = [int(i) for i in found]
    elif customer != "all=all":
        pairs = dict(part.split("=", 1) for part in customer.split(";"))
        if "chain" in pairs:
            return []  # no demo club belongs to a chain
        sql, params = sql + " WHERE country = ?", [pairs["country"]]  # type: ignore[list-item]
    return [(row[0], row[1]) for row in conn.execute(sql + " ORDER BY id", params)]


def _int(request: Request, name: str, default: int, high: int) -> int:
    raw = request.query_params.get(name)
    try:
        value = default if raw is None else int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= high:
        raise Refusal(422, f"{name} must be a whole number from 1 to {high}")
    return value


def _pagination(total: int, page: int, per_page: int) -> dict[str, Any]:
    pages = math.ceil(total / per_page)
    return {
        "total_count": total,
        "per_page": per_page,
        "total_pages": pages,
        "current_page": page,
        "next_page": page + 1 if page < pages else None,
        "prev_page": page - 1 if page > 1 else None,
        "is_first_page": page == 1,
        "is_last_page": page >= pages,
        "is_out_of_range": page > max(pages, 1),
    }


def _club(conn: sqlite3.Connection, slug: str) -> sqlite3.Row:
    row = conn.execute(
        "SELECT * FROM placewise_clubs WHERE main_slug = ? OR short_slug = ?", (slug, slug)
    ).fetchone()
    if row is None:
        raise Refusal(404, f"Loyalty club {slug!r} not found")
    return row


def _list_members(conn: sqlite3.Connection, slug: str, params: dict[str, Any]) -> dict[str, Any]:
    club = _club(conn, slug)
    page, per_page, order = params["page"], params["per_page"], params["order"]
    where, args = ["m.club_id = ?"], [club["id"]]
    if params["search"]:
        like = f"%{params['search']}%"
        where.append(
            "(m.first_name LIKE ? OR m.last_name LIKE ? OR m.email LIKE ? OR m.msisdn LIKE ?)"
        )
        args += [like] * 4
    for name, wanted in params["properties"].items():
        if name == "email":  # each through the index or the position it names
            found = [data.member_equals(club["id"], name, w.lower()) for w in wanted]
            where.append("(" + " OR ".join(sql for sql, _ in found) + ")")
            args += [arg for _, found_args in found for arg in found_args]
            continue
        where.append(f"m.{name} IN ({', '.join('?' for _ in wanted)})")
        args += wanted
    if params["ids"]:
        where.append(f"m.id IN ({', '.join('?' for _ in params['ids'])})")
        args += params["ids"]
    sql = f"FROM placewise_members m WHERE {' AND '.join(where)}"
    if len(where) == 1 and order in ("m.position ASC", "m.position DESC"):
        # Positions are dense per club: any page is a range of the (club, position) index.
        total = conn.execute(f"SELECT COALESCE(MAX(position), 0) {sql}", args).fetchone()[0]
        low, high = (page - 1) * per_page + 1, page * per_page
        if order.endswith("DESC"):
            low, high = total - high + 1, total - low + 1
        rows = conn.execute(
            f"SELECT {_READ} {sql} AND m.position BETWEEN ? AND ? ORDER BY {order}",
            [*args, low, high],
        ).fetchall()
    else:
        total = conn.execute(f"SELECT COUNT(*) {sql}", args).fetchone()[0]
        rows = conn.execute(
            f"SELECT {_READ} {sql} ORDER BY {order}, m.position LIMIT ? OFFSET ?",
            [*args, per_page, (page - 1) * per_page],
        ).fetchall()
    return {
        "members": [data.member_doc(row) for row in rows],
        "pagination_info": _pagination(total, page, per_page),
    }


def _member_params(request: Request) -> dict[str, Any]:
    query = request.query_params
    fields = query.getlist("sort_by[]")
    directions = query.getlist("sort_directions[]")
    order = []
    for i, name in enumerate(fields):
        direction = (directions[i] if i < len(directions) else "asc").lower()
        if name not in _SORTABLE or direction not in ("asc", "desc"):
            raise Refusal(422, f"cannot sort by {name!r} {direction!r}")
        order.append(f"{_SORTABLE[name]} {direction.upper()}")
    properties: dict[str, list[str]] = {}
    for key, value in query.multi_items():
        found = re.fullmatch(r"properties\[(\w+)\](?:\[\])?", key)
        if found:
            if found.group(1) not in data.PROPERTY_COLUMNS:
                raise Refusal(422, f"property {found.group(1)!r} is not enabled for querying")
            properties.setdefault(found.group(1), []).append(value)
    try:
        ids = [int(v) for v in query.getlist("ids[]")]
    except ValueError:
        raise Refusal(422, "ids[] must be numbers") from None
    return {
        "page": _int(request, "page_no", 1, 10**9),
        "per_page": _int(request, "per_page", MAX_PER_PAGE, MAX_PER_PAGE),
        "order": ", ".join(order) or "m.position ASC",
        "search": query.get("search", "").strip(),
        "properties": properties,
        "ids": ids,
    }


def _one_member(conn: sqlite3.Connection, slug: str, column: str, value: Any) -> dict[str, Any]:
    match, args = data.member_equals(_club(conn, slug)["id"], column, value)
    row = conn.execute(f"SELECT {_READ} FROM placewise_members m WHERE {match}", args).fetchone()
    if row is None:
        raise Refusal(404, "Member not found")
    return data.member_doc(row)


def _update_member(
    conn: sqlite3.Connection, slug: str, member_id: int, body: Any
) -> dict[str, Any]:
    club = _club(conn, slug)
    current = conn.execute(
        "SELECT * FROM placewise_members WHERE club_id = ? AND id = ?", (club["id"], member_id)
    ).fetchone()
    if current is None:
        raise Refusal(404, "Member not found")
    errors = members.validate(body)
    email = ((body or {}).get("properties") or {}).get("email") if not errors else None
    if isinstance(email, str):
        taken, args = data.member_equals(club["id"], "email", email.lower())
        others = f"SELECT 1 FROM placewise_members WHERE {taken} AND id != ?"
        if conn.execute(others, [*args, member_id]).fetchone():
            errors["email"] = [{"property": "email", "error": "taken"}]
    if errors:
        raise Refusal(422, "Invalid parameters", details={"member": errors})
    members.apply(conn, club["id"], current, body)
    return _one_member(conn, slug, "id", member_id)


def _delete_member(conn: sqlite3.Connection, slug: str, member_id: int) -> dict[str, Any]:
    """Remove the member and return it as it was; the club's positions stay dense."""
    doc = _one_member(conn, slug, "id", member_id)
    club = _club(conn, slug)
    (position,) = conn.execute(
        "SELECT position FROM placewise_members WHERE id = ?", (member_id,)
    ).fetchone()
    conn.execute("DELETE FROM placewise_members WHERE id = ?", (member_id,))
    moved = "club_id = ? AND position > ?"  # two steps: no two rows share a position meanwhile
    conn.execute(f"UPDATE placewise_members SET position = 1 - position WHERE {moved}",
                 (club["id"], position))  # fmt: skip
    conn.execute(
        "UPDATE placewise_members SET position = -position WHERE club_id = ? AND position <= 0",
        (club["id"],),
    )
    return doc


def _import_status(
    conn: sqlite3.Connection, slug: str, import_id: str, bulk_id: int | None
) -> dict[str, Any]:
    club = _club(conn, slug)
    if bulk_id is None:
        if not imports.advance(conn, club["id"], import_id):
            raise Refusal(404, "Import not found")
        return imports.status_doc(conn, import_id)
    owner = conn.execute("SELECT club_id FROM placewise_imports WHERE id = ?", (import_id,))
    found = owner.fetchone()
    doc = imports.bulk_doc(conn, import_id, bulk_id) if found and found[0] == club["id"] else None
    if doc is None:
        raise Refusal(404, "Bulk not found")
    return doc


def _submit_import(conn: sqlite3.Connection, slug: str, body: Any) -> dict[str, Any]:
    club = _club(conn, slug)
    try:
        return {"import_id": imports.submit(conn, club["id"], body)}
    except imports.ImportRefused as refused:
        raise Refusal(422, str(refused)) from None


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        raise Refusal(400, "The body is not valid JSON") from None


Handler = Callable[[Request, Context], Awaitable[Any]]


def install(store: Store) -> None:
    conn = store.connect()
    conn.executescript(data.SCHEMA + imports.SCHEMA)
    if not store.seeded(data.SEED_KEY, data.DATABASE):
        store.write(data.seed_small, store)
    if store.wants_big("placewise"):
        store.write(data.insert_club, data.BIG_CLUB)
        store.build_in_background(
            data.BIG_KEY,
            "Placewise: Mega Mall (1M members)",
            data.BIG_TOTAL,
            lambda progress: data.build_big(store, progress),
            platform="placewise",
            audience_id=data.BIG_CLUB[2],
        )


async def drain(store: Store) -> None:
    """Carry out the bulks accepted and not yet finished (see app.drain)."""
    if await store.run(imports.unfinished):  # read first: a write waits behind list builds
        await store.run_write(imports.finish_all)


def routes(store: Store) -> list[BaseRoute]:
    buckets = Buckets()

    def endpoint(handler: Handler, reporting_api: bool = False) -> Any:
        async def serve(request: Request) -> JSONResponse:
            ctx = Context("", "")
            try:
                ctx = _check_headers(request, reporting_api)
                ctx.buckets = buckets
                if not reporting_api:  # a report's cost is known once its body is read
                    ctx.charge(1)
                status, doc = 200, await handler(request, ctx)
            except Refusal as refusal:
                status, doc = refusal.status, refusal.body
                ctx.headers.update(refusal.headers)
            return JSONResponse(doc, status_code=status, headers=ctx.headers)

        return serve

    async def clubs(request: Request, ctx: Context) -> Any:
        page = _int(request, "page_no", 1, 10**9)
        per_page = _int(request, "per_page", 25, MAX_PER_PAGE)

        def read(conn: sqlite3.Connection) -> dict[str, Any]:
            total = conn.execute("SELECT COUNT(*) FROM placewise_clubs").fetchone()[0]
            rows = conn.execute(
                "SELECT * FROM placewise_clubs ORDER BY id LIMIT ? OFFSET ?",
                (per_page, (page - 1) * per_page),
            ).fetchall()
            return {
                "loyalty_clubs": [data.club_doc(row) for row in rows],
                "pagination_info": _pagination(total, page, per_page),
            }

        return await store.run(read)

    async def club(request: Request, ctx: Context) -> Any:
        return data.club_doc(await store.run(_club, request.path_params["slug"]))

    async def member_schema(request: Request, ctx: Context) -> Any:
        await store.run(_club, request.path_params["slug"])  # 404 for an unknown club
        return data.member_schema_doc()

    async def member_list(request: Request, ctx: Context) -> Any:
        return await store.run(_list_members, request.path_params["slug"], _member_params(request))

    async def member_by(request: Request, ctx: Context) -> Any:
        p = request.path_params
        if "member_id" in p:
            return await store.run(_one_member, p["slug"], "id", p["member_id"])
        if "email" in p:
            return await store.run(_one_member, p["slug"], "email", p["email"].strip().lower())
        if not re.fullmatch(r"\d{8,15}", p["msisdn"]):
            raise Refusal(422, "msisdn must be digits only, with the country code")
        return await store.run(_one_member, p["slug"], "msisdn", p["msisdn"])

    async def member_update(request: Request, ctx: Context) -> Any:
        p, body = request.path_params, await _body(request)
        return await store.run_write(_update_member, p["slug"], p["member_id"], body)

    async def member_delete(request: Request, ctx: Context) -> Any:
        p = request.path_params
        return await store.run_write(_delete_member, p["slug"], p["member_id"])

    async def import_submit(request: Request, ctx: Context) -> Any:
        body = await _body(request)
        return await store.run_write(_submit_import, request.path_params["slug"], body)

    async def import_status(request: Request, ctx: Context) -> Any:
        p = request.path_params
        return await store.run_write(_import_status, p["slug"], p["import_id"], p.get("bulk_id"))

    async def query(request: Request, ctx: Context) -> Any:
        body = await _body(request)
        try:
            prepared = reporting.prepare(body)
        except QueryError as error:
            raise Refusal(422, str(error)) from None
        ctx.charge(prepared.cost)
        clubs = await store.run(_customer_clubs, ctx.owner)
        try:
            return await store.run(
                reporting.run, prepared, body, clubs, query_hash(body, ctx.owner)
            )
        except QueryError as error:
            raise Refusal(422, str(error)) from None

    members_path = "/v3/{slug}/members"
    return [
        Route("/v3/loyalty_clubs", endpoint(clubs)),
        Route("/v3/loyalty_clubs/{slug}", endpoint(club)),
        Route("/v3/loyalty_clubs/{slug}/member_schema", endpoint(member_schema)),
        Route(members_path, endpoint(member_list)),
        Route(f"{members_path}/imports", endpoint(import_submit), methods=["POST"]),
        Route(f"{members_path}/imports/{{import_id}}", endpoint(import_status)),
        Route(
            f"{members_path}/imports/{{import_id}}/bulks/{{bulk_id:int}}", endpoint(import_status)
        ),
        Route(f"{members_path}/by_email/{{email}}", endpoint(member_by)),
        Route(f"{members_path}/by_msisdn/{{msisdn}}", endpoint(member_by)),
        Route(f"{members_path}/{{member_id:int}}", endpoint(member_by)),
        Route(f"{members_path}/{{member_id:int}}", endpoint(member_update), methods=["PUT"]),
        Route(f"{members_path}/{{member_id:int}}", endpoint(member_delete), methods=["DELETE"]),
        Route("/v1/reporting/query", endpoint(query, reporting_api=True), methods=["POST"]),
    ]
