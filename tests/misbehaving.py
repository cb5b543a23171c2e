"""A misbehaving server of the tests' own: the sandbox served on loopback behind a layer that lies.

`Misbehaving` serves the five demo platforms on 127.0.0.1 (uvicorn in a thread of its own) and,
when told, answers the way a broken or hostile platform does: totals of 10^12, the same page and
cursor for every page asked, JSON nested a million deep, redirects, 401/403 on any request (the
first, or a later one), garbage bytes, error bodies with terminal escapes (a 422, which no client
retries), or "busy" (429 with Retry-After, `times` requests in a row, then answers). It counts
what it receives and refuses everything past `cap` requests, so a client that never stops fails
its test quickly instead of hanging it.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from audience_tui.core.models import Account
from audience_tui.demo import demo_accounts
from audience_tui.sandbox.app import create_app
from audience_tui.sandbox.faults import FaultSpec
from audience_tui.sandbox.store import Store

LIE = 10**12
TOTAL_KEYS = frozenset({"total", "total_count", "subscribed", "unsubscribed"})
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[31m"
NESTED = b"[" * 200_000 + b"]" * 200_000
GARBAGE = b"\x00\xff\xfe" + ESCAPES.encode() + b'{"members": [' + bytes(range(256))
CAP_STATUS = 410


def _lie(doc: Any, top: bool = True) -> Any:
    """`doc` with every count a listing reports (a bare number too) turned into 10^12."""
    if isinstance(doc, dict):
        return {
            k: LIE if k in TOTAL_KEYS and isinstance(v, int) else _lie(v, False)
            for k, v in doc.items()
        }
    if isinstance(doc, list):
        return [_lie(v, False) for v in doc]
    return LIE if top and isinstance(doc, int) and not isinstance(doc, bool) else doc


@dataclass
class Fault:
    """What to do to the answers of the requests it `matches`, from the `after`-th one on."""

    kind: str = "none"
    after: int = 0  # matching requests answered normally first
    times: int | None = None  # matching requests misanswered then (None: every one after)
    matches: Callable[[str, str], bool] = lambda method, path: "token" not in path
    seen: int = 0


@dataclass
class Misbehaving:
    store: Store
    cap: int = 400
    fault: Fault = field(default_factory=Fault)
    requests: list[str] = field(default_factory=list)
    _first: dict[str, tuple[Message, bytes]] = field(default_factory=dict)
    # Requests that arrive while the first answer is made wait for it, so "repeat" repeats from
    # the first page on, not from whichever page came back before the others arrived.
    _first_made: asyncio.Lock = field(default_factory=asyncio.Lock)
    base: str = ""

    def __post_init__(self) -> None:
        self.inner: ASGIApp = create_app(self.store, FaultSpec(), in_process=False)

    def set(self, kind: str, *, after: int = 0, **kw: Any) -> None:
        self.fault = Fault(kind, after, **kw)
        self.requests.clear()
        self._first.clear()

    def accounts(self) -> list[tuple[Account, dict[str, str]]]:
        return demo_accounts(host=self.base)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        self.requests.append(f"{method} {path}")
        if len(self.requests) > self.cap:
            await _answer(send, CAP_STATUS, b'{"error": "request cap of the test server"}')
            return
        fault = self.fault
        active = fault.kind != "none" and fault.matches(method, path)
        if active:
            fault.seen += 1
            active = fault.seen > fault.after
            active &= fault.times is None or fault.seen <= fault.after + fault.times
        if not active:
            await self.inner(scope, receive, send)
            return
        if fault.kind in ("total", "repeat", "hostile_names"):
            await self._rewrite(scope, receive, send, fault.kind)
            return
        await _answer(send, *self._canned(fault.kind))

    def _canned(self, kind: str) -> tuple[int, bytes, dict[str, str]]:
        error = json.dumps({"error": f"{ESCAPES}refused", "message": f"{ESCAPES}no"}).encode()
        return {
            "nested": (200, NESTED, {}),
            "redirect": (302, b"", {"location": "http://127.0.0.1:9/elsewhere"}),
            "401": (401, error, {}),
            "403": (403, error, {}),
            "garbage": (200, GARBAGE, {}),
            "escape_422": (422, f"{ESCAPES}refused".encode(), {"content-type": "text/plain"}),
            "busy": (429, b'{"error": "too many requests"}', {"retry-after": "1"}),
        }[kind]

    async def _rewrite(self, scope: Scope, receive: Receive, send: Send, kind: str) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        key = _page_key(scope)
        if kind == "repeat":
            async with self._first_made:
                if key in self._first:
                    start, body = self._first[key]  # the first answer again, whatever was asked
                else:
                    await self.inner(scope, receive, keep)
                    body = b"".join(chunks)
                    if start.get("status") == 200:
                        self._first[key] = (start, body)
        else:
            await self.inner(scope, receive, keep)
            body = b"".join(chunks)
            if kind == "total":
                body = _rewrite_json(body, _lie)
            elif kind == "hostile_names":
                body = _hostile(body)
        headers = {
            k.decode(): v.decode() for k, v in start.get("headers", []) if k != b"content-length"
        }
        await _answer(send, start.get("status", 500), body, headers)


PAGING_PARAMS = frozenset(
    {"page", "perpage", "page_no", "per_page", "offset", "start", "end", "page[number]"}
)


def _page_key(scope: Scope) -> str:
    """The request without what chooses the page: every page asked for is 'the same' one."""
    pairs = parse_qsl(scope.get("query_string", b"").decode())
    kept = sorted((k, v) for k, v in pairs if k not in PAGING_PARAMS)
    return f"{scope['method']} {scope['path']} {kept}"


def _rewrite_json(body: bytes, change: Callable[[Any], Any]) -> bytes:
    try:
        doc = json.loads(body)
    except ValueError:
        return body
    return json.dumps(change(doc)).encode()


_NAME_VALUE = re.compile(rb'("(?:name|first_name|last_name|firstname|lastname)"\s*:\s*")')


def _hostile(body: bytes) -> bytes:
    """Every name in the answer prefixed with a lone surrogate escape (valid JSON, no valid
    UTF-8 form)."""
    return _NAME_VALUE.sub(rb"\1\\ud800", body)


async def _answer(
    send: Send, status: int, body: bytes, headers: dict[str, str] | None = None
) -> None:
    raw = [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    if not any(k == b"content-type" for k, _ in raw):
        raw.append((b"content-type", b"application/json"))
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


@contextmanager
def serving(store: Store, cap: int = 400) -> Iterator[Misbehaving]:
    """The misbehaving server on a free loopback port, for the duration of the block."""
    app = Misbehaving(store, cap)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    ready = threading.Event()
    while not ready.wait(0.01):  # wait on the condition: the server's socket is listening
        if server.started:
            ready.set()
        elif not thread.is_alive():
            raise RuntimeError("the misbehaving server did not start")
    port = server.servers[0].sockets[0].getsockname()[1]
    app.base = f"http://127.0.0.1:{port}"
    try:
        yield app
    finally:
        server.should_exit = True
        thread.join(timeout=10)
