"""The sandbox as one Starlette app: each platform served at its real paths under a prefix.

`/heyloyalty/loyalty/v1/...`, `/emma/{account_id}/...`, `/ownpage/v1/...`, `/kajabi/v1/...`,
`/placewise/v3/...` and `/placewise/v1/reporting/...`. Every platform module provides:

- `PREFIX`, `DEMO_SETTINGS`, `DEMO_SECRETS`: where it is mounted and its demo account's
  credentials (defined in `demo_credentials`, which the app reads before the sandbox starts);
- `install(store)`: create its tables and seed its demo data (big lists in the background);
- `routes(store)`: its Starlette routes, relative to PREFIX;
- optionally `drain(store)`: carry out the work it accepted and runs later (imports).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, Route

from . import hostile, write_log
from .demo_credentials import PLATFORMS
from .faults import FaultMiddleware, FaultSpec
from .options import OptionsMiddleware
from .responses import JSONResponse
from .store import Store


def platform_module(name: str) -> ModuleType:
    return importlib.import_module(f"{__package__}.{name}.routes")


def create_app(
    store: Store, faults: FaultSpec = FaultSpec(), *, in_process: bool = True
) -> FaultMiddleware:
    """Install every platform's data in `store` and return the app serving them.

    The fault layer is outermost and its `spec` can be changed while the app runs (tests use this
    to make a platform misbehave and then recover).
    """
    modules = [platform_module(name) for name in PLATFORMS]
    with store.installing():  # the big lists' builds start after every platform's seeding
        for module in modules:
            module.install(store)
        hostile.install(store)  # only with AUDIENCE_TUI_SANDBOX_HOSTILE=1

    async def index(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "sandbox": "audience-tui",
                "platforms": {
                    name: module.PREFIX for name, module in zip(PLATFORMS, modules, strict=True)
                },
                "builds": {
                    key: {
                        "label": b.label,
                        "done": b.done,
                        "total": b.total,
                        "finished": b.finished,
                        "error": b.error,
                    }
                    for key, b in store.builds.items()
                },
            }
        )

    routes: list[BaseRoute] = [Route("/", index)]
    routes += [Mount(module.PREFIX, routes=module.routes(store)) for module in modules]
    app = write_log.wrap(OptionsMiddleware(Starlette(routes=routes), routes))
    return FaultMiddleware(app, faults, in_process=in_process)


async def drain(store: Store) -> None:
    """Carry out what the platforms accepted to do later. A real platform goes on working after
    its client has gone; the in-process sandbox ends with the command that runs it, so the
    command drains it first (else an import it reported as sent would never land)."""
    for name in PLATFORMS:
        finish = getattr(platform_module(name), "drain", None)
        if finish is not None:
            await finish(store)
