"""textual-serve's server, refusing every request that does not come from the page it printed.

Three checks, each answered with 403 and one sentence (nothing of the app is started):
- the Host header names this server (defeats DNS rebinding: a page on `evil.example` whose name
  now resolves to 127.0.0.1 sends `Host: evil.example`);
- the page (`/?token=...`) and its websocket (`/ws/<token>`) carry this launch's secret, which
  only the URL printed on the terminal holds;
- the websocket's Origin is the served origin (a browser always sends it and a page's script
  cannot change it; `null`, from sandboxed frames and files, is refused).
Static files (the terminal's script, styles and fonts) hold nothing and need only the Host check.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import signal
import socket
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from aiohttp.web_runner import GracefulExit
from textual_serve.server import Server

from ..core.accounts import LOOPBACK_HOSTS, is_loopback
from ..core.redact import register_secret

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LOOPBACK_NAMES = frozenset({*LOOPBACK_HOSTS, "127.0.0.1", "::1"})
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
PAGE_HEADERS = {
    "Referrer-Policy": "no-referrer",  # the URL holds the secret: never sent to another site
    "Cache-Control": "no-store",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}
WRONG_HOST = "refused: this server is not {host!r}; open the URL that audience-tui serve printed"
NO_TOKEN = "refused: open the URL that audience-tui serve printed (with its token)"
WRONG_ORIGIN = "refused: a websocket from another origin ({origin})"


def _host_name(value: str) -> str:
    """The name in a Host header or URL authority, without its port, lower-case."""
    return (urlsplit(f"//{value}").hostname or "").lower()


def _port(url: str) -> int | None:
    parts = urlsplit(url)
    try:
        return parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None


class GuardedServer(Server):
    """A textual-serve Server with a per-launch token, Host and Origin checks, on a bound socket."""

    def __init__(self, command: str, *, host: str, port: int, **options: Any) -> None:
        super().__init__(command, host=host, port=port, **options)
        self.token = secrets.token_urlsafe(32)
        register_secret(self.token)  # aiohttp's access log would write it with each page request
        names = {_host_name(host), _host_name(urlsplit(self.public_url).netloc)}
        if is_loopback(host):
            names |= LOOPBACK_NAMES  # the same machine, whichever name the user types
        self.hosts = frozenset(names - {""})
        public = urlsplit(self.public_url)
        self.origins = frozenset(
            {(public.scheme, _host_name(public.netloc), _port(self.public_url))}
            | {("http", name, port) for name in self.hosts}
        )

    @property
    def url(self) -> str:
        """The URL to open: the only place the token is shown."""
        return f"{self.public_url.rstrip('/')}/?token={self.token}"

    def initialize_logging(self) -> None:
        """Keep the CLI's logging: textual-serve's own prints tracebacks with local variables."""

    async def on_startup(self, app: web.Application) -> None:
        print(f"serving audience-tui on {self.url}", flush=True)
        print("open that URL (it holds this launch's secret); ctrl+c stops", flush=True)

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard)
        app.router.add_get("/ws/{token}", self.handle_websocket)
        return app

    def _token_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.token.encode())

    def _origin_ok(self, origin: str) -> bool:
        parts = urlsplit(origin)
        return (parts.scheme, (parts.hostname or "").lower(), _port(origin)) in self.origins

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        host = request.headers.get("Host", "")
        if _host_name(host) not in self.hosts:
            return web.Response(status=403, text=WRONG_HOST.format(host=host))
        path = request.path
        if path.startswith(("/static/", "/download/")):  # a download's key is a random secret
            return await handler(request)
        if path == "/":
            if not self._token_ok(request.query.get("token", "")):
                return web.Response(status=403, text=NO_TOKEN)
            response = await handler(request)
            response.headers.update(PAGE_HEADERS)
            return response
        if path.startswith("/ws/"):
            if not self._token_ok(request.match_info.get("token", "")):
                return web.Response(status=403, text=NO_TOKEN)
            origin = request.headers.get("Origin", "")
            if not self._origin_ok(origin):
                return web.Response(status=403, text=WRONG_ORIGIN.format(origin=origin or "none"))
            return await handler(request)
        return web.Response(status=404, text="not found")  # textual-serve's token-less /ws too

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """textual-serve's page, its websocket URL carrying the token (its script appends
        `?width=...`, so the token goes in the path)."""
        context = await Server.handle_index.__wrapped__(self, request)  # type: ignore[attr-defined]
        context["app_websocket_url"] += f"/{self.token}"
        return aiohttp_jinja2.render_template("app_index.html", request, context)

    def serve_on(self, sock: socket.socket) -> None:
        """Serve on the bound `sock` until ctrl+c (textual-serve's `serve` binds its own)."""
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)

        def stop() -> None:
            raise GracefulExit()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop)
        web.run_app(self._make_app(), sock=sock, handle_signals=False, loop=loop, print=None)
