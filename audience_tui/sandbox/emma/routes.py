"""Emma (myemma) served at its real paths: `/emma/{account_id}/members`, `/groups`, `/fields` ...

What the emulation holds to (seed 003 and providers/emma.md):
- HTTP Basic on every call (public key / private key); wrong keys -> 403, as field reports say
  the real service answers; an unknown account id -> 404.
- Lists take `start`/`end` (end exclusive), at most 500 rows a call (a larger window is cut),
  and `count=true` turns any list into a bare integer.
- Bare JSON literals where Emma answers them (`true`, counts), `{"error": "..."}` on 400/404,
  `@D:`-prefixed timestamps, member and import ids beyond int32.
- Group counts move with every opt-out and import; deleted (archived) members are hidden unless
  `deleted=true` (`deleted_only=true` on /members lists only them).
- Throttling: Emma answers `403 Rate Limit Exceeded`. `throttle(store)` switches it on: refuse the
  next N calls, or allow so many a minute (`AUDIENCE_TUI_EMMA_RATE_LIMIT` sets the latter).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import sqlite3
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ..demo_credentials import DEMO
from ..responses import JSONResponse
from ..store import Store
from .data import (
    ACCOUNT_ID,
    field_doc,
    group_doc,
    import_doc,
    install,
    member_doc,
    purge,
)
from .imports import (
    MAX_PAYLOAD,
    ImportRefused,
    count_poll,
    create_import,
    finish_due,
    running_imports,
)
from .writes import HttpError, add_member, change_statuses, move_status, set_status

__all__ = ["DEMO_SECRETS", "DEMO_SETTINGS", "PREFIX", "install", "routes", "throttle"]

PREFIX, DEMO_SETTINGS, DEMO_SECRETS = DEMO["emma"]
MAX_WINDOW = 500
RATE_LIMIT_ENV = "AUDIENCE_TUI_EMMA_RATE_LIMIT"
_TRUE = frozenset({"true", "1", "yes"})


@dataclass
class Throttle:
    """Emma's rate limit, off unless asked: refuse the next N calls and/or cap calls a minute."""

    refuse_next: int = 0
    per_minute: int | None = None
    calls: deque[float] = field(default_factory=deque)

    def allow(self, now: float) -> bool:
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return False
        if self.per_minute is None:
            return True
        while self.calls and self.calls[0] <= now - 60:
            self.calls.popleft()
        if len(self.calls) >= self.per_minute:
            return False
        self.calls.append(now)
        return True


_THROTTLES: dict[str, Throttle] = {}


def throttle(store: Store) -> Throttle:
    """The throttle of the sandbox serving `store` (tests and the demo flip its switches)."""
    key = str(store.path)
    if key not in _THROTTLES:
        limit = os.environ.get(RATE_LIMIT_ENV, "")
        _THROTTLES[key] = Throttle(per_minute=int(limit) if limit.isdigit() else None)
    return _THROTTLES[key]


def _authorised(header: str | None) -> bool:
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return secrets.compare_digest(user, DEMO_SECRETS["public_key"]) & secrets.compare_digest(
        password, DEMO_SECRETS["private_key"]
    )


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in _TRUE


def _window(request: Request) -> tuple[int, int]:
    """(offset, limit) from start/end: end exclusive, at most 500 rows, first 500 by default."""
    try:
        start = int(request.query_params.get("start", "0"))
        end = int(request.query_params.get("end", str(start + MAX_WINDOW)))
    except ValueError:
        raise HttpError(400, "start and end must be integers") from None
    if start < 0 or end < 0:
        raise HttpError(400, "start and end must not be negative")
    return start, max(0, min(end, start + MAX_WINDOW) - start)


def _deleted_clause(request: Request, alias: str = "m") -> str:
    if _flag(request, "deleted_only"):
        return f"{alias}.deleted_at IS NOT NULL"
    return "1" if _flag(request, "deleted") else f"{alias}.deleted_at IS NULL"


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        raise HttpError(400, "Unable to parse JSON request") from None


def _one(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...], what: str) -> sqlite3.Row:
    row = conn.execute(sql, args).fetchone()
    if row is None:
        raise HttpError(404, f"{what} not found")
    return row


def routes(store: Store) -> list[BaseRoute]:
    """Emma's routes, relative to PREFIX."""
    limiter = throttle(store)
    imports_pending = True  # unknown at start: the first call looks in the database

    def endpoint(
        handler: Callable[[Request], Awaitable[Any]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def serve(request: Request) -> Response:
            nonlocal imports_pending
            if not _authorised(request.headers.get("authorization")):
                return JSONResponse({"error": "Authentication failed"}, status_code=403)
            if not limiter.allow(time.monotonic()):
                return PlainTextResponse("Rate Limit Exceeded", status_code=403)
            if request.path_params["account_id"] != str(ACCOUNT_ID):
                return JSONResponse({"error": "Account not found"}, status_code=404)
            if imports_pending:  # read first: a write would queue behind background builds
                running, due = await store.run(running_imports, time.time())
                if due:
                    running = await store.run_write(finish_due, time.time())
                imports_pending = running > 0
            try:
                result = await handler(request)
            except HttpError as exc:
                return JSONResponse({"error": exc.message}, status_code=exc.status)
            return result if isinstance(result, Response) else JSONResponse(result)

        return serve

    async def listing(
        request: Request,
        source: str,
        args: tuple[Any, ...],
        doc: Callable[[sqlite3.Row], Any],
        page_sql: str | None = None,
        exists: tuple[str, tuple[Any, ...], str] | None = None,
    ) -> Any:
        """A paged list: rows `start`..`end` or, with count=true, their number (a bare int).

        `source` is "table WHERE ... ORDER BY ..." (the count drops the ORDER BY); `page_sql`, for
        big tables, selects the window itself: its last two parameters are the LIMIT and OFFSET.
        """
        counting = _flag(request, "count")
        offset, limit = _window(request)
        rows_from, _, _ = source.partition(" ORDER BY ")
        page_sql = page_sql or f"SELECT * FROM {source} LIMIT ? OFFSET ?"

        def run(conn: sqlite3.Connection) -> Any:
            if exists is not None:
                _one(conn, *exists)
            if counting:
                return conn.execute(f"SELECT COUNT(*) FROM {rows_from}", args).fetchone()[0]
            return [doc(r) for r in conn.execute(page_sql, (*args, limit, offset))]

        return await store.run(run)

    # --- members ---------------------------------------------------------------------------
    async def list_members(request: Request) -> Any:
        source = f"emma_members m WHERE {_deleted_clause(request)} ORDER BY m.member_id"
        # The window is cut from the (partial) index first: deep pages of a million stay fast.
        page = f"SELECT * FROM emma_members WHERE member_id IN (SELECT m.member_id FROM {source} "
        return await listing(
            request, source, (), member_doc, f"{page}LIMIT ? OFFSET ?) ORDER BY member_id"
        )

    async def member_by(request: Request, column: str, value: Any) -> Any:
        where = _deleted_clause(request)
        row = await store.run(
            _one, f"SELECT * FROM emma_members m WHERE {column} = ? AND {where}", (value,), "Member"
        )
        return member_doc(row)

    async def get_member(request: Request) -> Any:
        return await member_by(request, "m.member_id", request.path_params["member_id"])

    async def get_member_by_email(request: Request) -> Any:
        return await member_by(request, "m.email_lc", request.path_params["email"].lower())

    async def opt_out_by_email(request: Request) -> Any:
        def write(conn: sqlite3.Connection, email: str) -> bool:
            sql = "SELECT member_id, status, deleted_at FROM emma_members WHERE email_lc = ?"
            set_status(conn, _one(conn, sql, (email,), "Member"), "o")
            return True

        return await store.run_write(write, request.path_params["email"].lower())

    async def add_one(request: Request) -> Any:
        return await store.run_write(add_member, await _json(request))

    async def change_status(request: Request) -> Any:
        return await store.run_write(change_statuses, await _json(request))

    async def move_all(request: Request) -> Any:
        p = request.path_params
        body = await _json(request) if await request.body() else {}
        return await store.run_write(move_status, p["old"], p["new"], body)

    async def member_optouts(request: Request) -> Any:
        def read(conn: sqlite3.Connection, member_id: int) -> list[dict[str, Any]]:
            _one(conn, "SELECT 1 FROM emma_members WHERE member_id = ?", (member_id,), "Member")
            rows = conn.execute(
                "SELECT timestamp, mailing_id FROM emma_optouts WHERE member_id = ? "
                "ORDER BY timestamp",
                (member_id,),
            )
            return [{"timestamp": f"@D:{r[0]}", "mailing_id": r[1]} for r in rows]

        return await store.run(read, request.path_params["member_id"])

    async def member_groups(request: Request) -> Any:
        def read(conn: sqlite3.Connection, member_id: int) -> list[dict[str, Any]]:
            _one(conn, "SELECT 1 FROM emma_members WHERE member_id = ?", (member_id,), "Member")
            rows = conn.execute(
                "SELECT g.* FROM emma_groups g JOIN emma_group_members gm USING (member_group_id)"
                " WHERE gm.member_id = ? AND g.deleted_at IS NULL ORDER BY g.member_group_id",
                (member_id,),
            )
            return [group_doc(r) for r in rows]

        return await store.run(read, request.path_params["member_id"])

    async def purge_members(request: Request) -> Any:
        """The right to be forgotten: the members and every trace of them are gone (true even
        for ids already purged, as a repeated purge leaves the same state)."""
        try:
            ids = json.loads(await request.body())["member_ids"]
        except (ValueError, KeyError, TypeError):
            raise HttpError(400, 'expected {"member_ids": [...]}') from None
        if not isinstance(ids, list) or not all(type(i) is int for i in ids):
            raise HttpError(400, "member_ids must be a list of integers")
        await store.run_write(purge, ids)
        return True

    # --- imports ---------------------------------------------------------------------------
    async def start_import(request: Request) -> Any:
        nonlocal imports_pending
        body = await request.body()
        if len(body) > MAX_PAYLOAD:
            raise HttpError(400, "JSON payload exceeds 10 MB")
        try:
            document = json.loads(body)
        except ValueError:
            raise HttpError(400, "Unable to parse JSON request") from None
        try:
            import_id = await store.run_write(create_import, document, time.time())
        except ImportRefused as exc:
            raise HttpError(exc.status, exc.message) from None
        imports_pending = True
        return {"import_id": import_id}

    async def list_imports(request: Request) -> Any:
        return await listing(request, "emma_imports ORDER BY import_id DESC", (), import_doc)

    async def get_import(request: Request) -> Any:
        import_id = request.path_params["import_id"]

        def read(conn: sqlite3.Connection) -> dict[str, Any]:
            nonlocal imports_pending
            count_poll(conn, import_id)
            imports_pending = finish_due(conn, time.time()) > 0
            sql = "SELECT * FROM emma_imports WHERE import_id = ?"
            return import_doc(_one(conn, sql, (import_id,), "Import"))

        return await store.run_write(read)

    async def import_members(request: Request) -> Any:
        import_id = request.path_params["import_id"]

        def doc(row: sqlite3.Row) -> dict[str, Any]:
            out = {k: row[k] for k in ("member_id", "change_type", "member_status_id", "email")}
            return {**out, "error": row["error"]} if row["error"] else out

        exists = ("SELECT 1 FROM emma_imports WHERE import_id = ?", (import_id,), "Import")
        source = "emma_import_members WHERE import_id = ? ORDER BY seq"
        return await listing(request, source, (import_id,), doc, exists=exists)

    # --- groups and fields -----------------------------------------------------------------
    async def list_groups(request: Request) -> Any:
        kinds = request.query_params.get("group_types", "g").split(",")
        if "all" in kinds:
            kinds = ["g", "t", "h"]
        marks = ",".join("?" * len(kinds))
        source = (
            f"emma_groups WHERE deleted_at IS NULL AND group_type IN ({marks}) "
            "ORDER BY member_group_id"
        )
        return await listing(request, source, tuple(kinds), group_doc)

    async def get_group(request: Request) -> Any:
        sql = "SELECT * FROM emma_groups WHERE member_group_id = ? AND deleted_at IS NULL"
        return group_doc(await store.run(_one, sql, (request.path_params["group_id"],), "Group"))

    async def group_members(request: Request) -> Any:
        """Archived members belong to no group here, so `deleted` changes nothing."""
        group_id = request.path_params["group_id"]
        source = "emma_group_members WHERE member_group_id = ? ORDER BY member_id"
        page = f"SELECT * FROM emma_members WHERE member_id IN (SELECT member_id FROM {source} "
        exists = ("SELECT 1 FROM emma_groups WHERE member_group_id = ?", (group_id,), "Group")
        return await listing(
            request,
            source,
            (group_id,),
            member_doc,
            f"{page}LIMIT ? OFFSET ?) ORDER BY member_id",
            exists,
        )

    async def list_fields(request: Request) -> Any:
        return await listing(request, "emma_fields ORDER BY column_order", (), field_doc)

    async def get_field(request: Request) -> Any:
        sql = "SELECT * FROM emma_fields WHERE field_id = ?"
        return field_doc(await store.run(_one, sql, (request.path_params["field_id"],), "Field"))

    table: list[tuple[str, str, Callable[[Request], Awaitable[Any]]]] = [
        ("GET", "/members", list_members),
        ("POST", "/members", start_import),
        ("GET", "/members/imports", list_imports),
        ("GET", "/members/imports/{import_id:int}", get_import),
        ("GET", "/members/imports/{import_id:int}/members", import_members),
        ("GET", "/members/email/{email}", get_member_by_email),
        ("PUT", "/members/email/optout/{email}", opt_out_by_email),
        ("PUT", "/members/purge", purge_members),
        ("POST", "/members/add", add_one),
        ("PUT", "/members/status", change_status),
        ("PUT", "/members/status/{old}/to/{new}", move_all),
        ("GET", "/members/{member_id:int}", get_member),
        ("GET", "/members/{member_id:int}/optout", member_optouts),
        ("GET", "/members/{member_id:int}/groups", member_groups),
        ("GET", "/groups", list_groups),
        ("GET", "/groups/{group_id:int}", get_group),
        ("GET", "/groups/{group_id:int}/members", group_members),
        ("GET", "/fields", list_fields),
        ("GET", "/fields/{field_id:int}", get_field),
    ]
    return [
        Route(f"/{{account_id}}{path}", endpoint(handler), methods=[method])
        for method, path, handler in table
    ]
