"""A record of every write request the sandbox receives, for tests and for people checking their
own client: with `AUDIENCE_TUI_SANDBOX_WRITE_LOG=PATH`, each request that is not a GET or HEAD
appends one JSON line (method, path, body) to PATH as soon as its body has arrived, before it is
handled. Counting lines shows whether a client sent a write twice."""

from __future__ import annotations

import json
import os
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ENV = "AUDIENCE_TUI_SANDBOX_WRITE_LOG"
READS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteLog:
    def __init__(self, app: ASGIApp, path: Path) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READS:
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:  # the whole body first (a DELETE's handler may never read it), then replayed
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before its request was whole: nothing was asked
            body.extend(message.get("body", b""))
            if not message.get("more_body"):
                break
        self._append(scope, bytes(body))
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _append(self, scope: Scope, body: bytes) -> None:
        entry = {
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "body": body.decode("utf-8", "replace"),
        }
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (json.dumps(entry) + "\n").encode())
        finally:
            os.close(fd)


def wrap(app: ASGIApp) -> ASGIApp:
    """`app` behind a WriteLog when the environment asks for one."""
    path = os.environ.get(ENV)
    return WriteLog(app, Path(path)) if path else app
