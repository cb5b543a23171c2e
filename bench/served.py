"""The bench sandbox served over loopback by another process (`audience-tui sandbox serve`), for
the figures issue 20 asks again with the platform's serving off the app's process and GIL.

`BENCH_SERVED=1` makes `common.sandbox()` return a `Served` in place of the in-process sandbox.
Its transport is a real HTTP client whose requests go to the served sandbox, each held for the
latency first (the network's share, set as the in-process sandbox's fault spec sets it), so
every figure's code runs unchanged over a real socket.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent


def served() -> bool:
    return os.environ.get("BENCH_SERVED") == "1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Delayed(httpx.AsyncBaseTransport):
    """Requests to the served sandbox's port, after `latency` seconds each."""

    def __init__(self, port: int) -> None:
        self.port, self.latency = port, 0.0
        self._http = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=64))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.latency:
            await asyncio.sleep(self.latency)
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return await self._http.handle_async_request(request)

    async def aclose(self) -> None:
        await self._http.aclose()


@dataclass
class Spec:
    """What `common.set_latency` and the figures set on a sandbox's fault spec."""

    latency: float = 0.0


@dataclass
class App:
    transport: Delayed
    _spec: Spec = field(default_factory=Spec)

    @property
    def spec(self) -> Spec:
        return self._spec

    @spec.setter
    def spec(self, value: Any) -> None:
        self._spec = Spec(value.latency)
        self.transport.latency = value.latency


@dataclass
class Served:
    """The sandbox in a child process, and the transport the demo session connects through."""

    process: subprocess.Popen[bytes]
    transport: Delayed
    app: App

    @classmethod
    def start(cls, latency: float = 0.0) -> Served:
        port = _free_port()
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        process = subprocess.Popen(
            [sys.executable, "-m", "audience_tui", "sandbox", "serve", "--port", str(port)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the served sandbox did not start") from None
                time.sleep(0.1)
        atexit.register(process.terminate)
        transport = Delayed(port)
        box = cls(process, transport, App(transport))
        box.app.spec = Spec(latency)
        return box

    def builds(self, account: Any) -> list[Any]:
        return []

    def progress(self, account: Any, audience_id: str) -> None:
        return None
