"""The Ownpage newsletter API, emulated under /ownpage (real paths: /v1/token, /v1/newsletters/...).

Token auth with short-lived tokens (so clients' re-authentication is exercised), bare JSON arrays,
offset/count paging capped at 10 000, the counts endpoint, the synchronous upsert with its summary,
deletes, and the documented error body `{"status": <code>, "cause": "..."}`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..demo_credentials import DEMO
from ..responses import JSONResponse
from ..store import Store
from . import query as db
from .data import (
    BIG_KEY,
    BIG_LIST,
    SMALL_KEY,
    add_list,
    build_big,
    create_tables,
    iso,
    seed_small,
)

PREFIX, DEMO_SETTINGS, DEMO_SECRETS = DEMO["ownpage"]
TOKEN_TTL_SECONDS = 600.0  # tokens are temporary on Ownpage; lifetime unpublished
TOKEN_HEADER = "X-Ownpage-Client-Token"
MAX_COUNT = 10_000
DEFAULT_COUNT = 1_000
MAX_POST_ROWS = 20_000

Handler = Callable[[Request], Awaitable[Response]]


class OwnpageError(Exception):
    """An answer in Ownpage's error shape."""

    def __init__(self, status: int, cause: str) -> None:
        super().__init__(cause)
        self.status = status
        self.cause = cause


def error(status: int, cause: str) -> JSONResponse:
    return JSONResponse({"status": status, "cause": cause}, status_code=status)


def expire_tokens(store: Store) -> None:
    """Make every issued token expired now (tests use this to exercise re-authentication)."""
    store.write(db.expire_all_tokens)


def install(store: Store) -> None:
    store.write(create_tables)
    if not store.seeded(SMALL_KEY):

        def seed(conn: Any) -> None:
            seed_small(conn)
            store.mark_seeded(conn, SMALL_KEY)

        store.write(seed)
    if store.wants_big("ownpage"):
        store.write(add_list, BIG_LIST)
        store.build_in_background(
            BIG_KEY,
            f"Ownpage: {BIG_LIST.name}",
            BIG_LIST.size,
            lambda progress: build_big(store, progress),
            platform="ownpage",
            audience_id=str(BIG_LIST.id),
        )


def routes(store: Store) -> list[BaseRoute]:
    def endpoint(handler: Callable[[Request], Awaitable[Any]], *, auth: bool = True) -> Handler:
        """Wrap a handler: token check, Ownpage error bodies, JSON answers."""

        async def wrapped(request: Request) -> Response:
            try:
                if auth:
                    await _check_token(store, request)
                result = await handler(request)
            except OwnpageError as exc:
                return error(exc.status, exc.cause)
            return result if isinstance(result, Response) else JSONResponse(result)

        return wrapped

    async def token(request: Request) -> Any:
        if request.method == "GET":
            username = request.query_params.get("username")
            password = request.query_params.get("password")
        else:
            body = await _json(request)
            if not isinstance(body, dict):
                raise OwnpageError(400, "Invalid request")
            username, password = body.get("username"), body.get("password")
        if not username or not password:
            raise OwnpageError(400, "Invalid request: username and password are required")
        if (username, password) != (DEMO_SETTINGS["client"], DEMO_SECRETS["api_key"]):
            raise OwnpageError(401, "Invalid credentials")
        value = await store.run_write(db.issue_token, username, time.time(), TOKEN_TTL_SECONDS)
        return {"token": value}

    async def get_lists(request: Request) -> Any:
        return await store.run(db.lists)

    async def get_subscribers(request: Request) -> Any:
        list_id = await _list_id(store, request)
        q = request.query_params
        status = q.get("status", "subscribed")
        if status not in db.STATUSES:
            raise OwnpageError(400, "status must be one of subscribed, unsubscribed, all")
        offset = _integer(q.get("offset"), "offset", 0, 0, None)
        count = _integer(q.get("count"), "count", DEFAULT_COUNT, 1, MAX_COUNT)
        exact = q.get("exact", "false").lower() in ("true", "1")
        search = q.get("search") or None
        return await store.run(db.subscribers, list_id, status, offset, count, search, exact)

    async def get_count(request: Request) -> Any:
        return await store.run(db.counts, await _list_id(store, request))

    async def post_subscribers(request: Request) -> Any:
        list_id = await _list_id(store, request)
        items = await _rows(request)
        now = iso(datetime.now(UTC))
        summary = await store.run_write(db.upsert, list_id, items, now)
        return summary.as_json()

    async def post_delete(request: Request) -> Any:
        list_id = await _list_id(store, request)
        items = await _rows(request)
        emails = [item.get("email") if isinstance(item, dict) else None for item in items]
        bad = [str(e) for e in emails if not db.valid_email(e)]
        if bad:
            raise OwnpageError(
                400, f"{len(bad)} error(s): " + ", ".join(f"email is not valid {e}" for e in bad)
            )
        deleted = await store.run_write(db.delete_emails, list_id, emails)
        return {"success": f"{deleted} subscriptions have been deleted"}

    async def delete_all(request: Request) -> Any:
        list_id = await _list_id(store, request)
        status = request.query_params.get("status", "all")
        if status not in db.STATUSES:
            raise OwnpageError(400, "status must be one of subscribed, unsubscribed, all")
        await store.run_write(db.delete_all, list_id, status)
        return Response(status_code=200)

    base = "/v1/newsletters/lists"
    return [
        Route("/v1/token", endpoint(token, auth=False), methods=["POST", "GET"]),
        Route(base, endpoint(get_lists), methods=["GET"]),
        Route(f"{base}/{{list_id}}/subscribers", endpoint(get_subscribers), methods=["GET"]),
        Route(f"{base}/{{list_id}}/subscribers", endpoint(post_subscribers), methods=["POST"]),
        Route(f"{base}/{{list_id}}/subscribers/count", endpoint(get_count), methods=["GET"]),
        Route(f"{base}/{{list_id}}/subscribers/delete", endpoint(post_delete), methods=["POST"]),
        Route(f"{base}/{{list_id}}/subscribers/all", endpoint(delete_all), methods=["DELETE"]),
    ]


async def _check_token(store: Store, request: Request) -> None:
    value = request.headers.get(TOKEN_HEADER)
    if not value:
        raise OwnpageError(401, f"Missing {TOKEN_HEADER} header")
    if not await store.run(db.token_valid, value, time.time()):
        raise OwnpageError(401, "Invalid or expired token")


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise OwnpageError(400, "Invalid request: the body is not valid JSON") from None


async def _rows(request: Request) -> list[Any]:
    """The JSON array body of the upsert and delete endpoints (at most 20 000 rows)."""
    body = await _json(request)
    if not isinstance(body, list):
        raise OwnpageError(400, "Invalid request: the body must be a JSON array")
    if len(body) > MAX_POST_ROWS:
        raise OwnpageError(
            400, f"Too many subscribers: {len(body)} (at most {MAX_POST_ROWS} per request)"
        )
    return body


async def _list_id(store: Store, request: Request) -> int:
    raw = request.path_params["list_id"]
    if not raw.isdigit() or not await store.run(db.list_exists, int(raw)):
        raise OwnpageError(404, f"List {raw} not found")
    return int(raw)


def _integer(raw: str | None, name: str, default: int, low: int, high: int | None) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise OwnpageError(400, f"{name} must be an integer") from None
    if value < low or (high is not None and value > high):
        limit = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise OwnpageError(400, f"{name} must be {limit}")
    return value
