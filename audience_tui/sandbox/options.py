"""OPTIONS answered as RFC 9110 describes it: `Allow` lists every method the path takes.

No platform documents its OPTIONS answers; this is the HTTP standard's, so that `accounts probe`
can ask whether a route exists without sending the write itself (Placewise's member DELETE,
Emma's purge). Starlette alone answers OPTIONS with the methods of the first route whose path
matches, and the sandbox serves one path's GET, PUT and DELETE as separate routes: it would
advertise GET alone. A path no route takes still answers 404.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send


def methods_for(routes: Iterable[BaseRoute], scope: Scope) -> set[str]:
    """Every method the routes matching `scope`'s path take, through mounts."""
    found: set[str] = set()
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.NONE:
            continue
        if isinstance(route, Mount):
            found |= methods_for(route.routes, {**scope, **child})
        elif isinstance(route, Route) and route.methods:
            found |= route.methods
    return found


class OptionsMiddleware:
    """Answers OPTIONS for any path the app routes: 204 with `Allow`."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            methods = methods_for(self.routes, scope)
            if methods:
                allow = ", ".join(sorted(methods | {"OPTIONS"}))
                await Response(status_code=204, headers={"Allow": allow})(scope, receive, send)
                return
        await self.app(scope, receive, send)
