"""`audience-tui sandbox serve`: the five emulated platforms over HTTP on loopback."""

from __future__ import annotations

import argparse
from typing import Any

from ..core.accounts import is_loopback
from ..core.errors import ConfigError
from .context import Context
from .listening import listen


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sandbox",
        help="serve the built-in sandbox over HTTP",
        description="The sandbox emulates the five platforms' APIs at their real "
        "paths under a prefix: /placewise, /ownpage, /kajabi, /emma, /heyloyalty. "
        "Demo credentials are listed in the README.",
    )
    actions = p.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)
    serve = actions.add_parser("serve", help="serve on 127.0.0.1 (loopback) by default")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument(
        "--faults",
        dest="serve_faults",
        metavar="SPEC",
        help="misbehave: e.g. 'latency=50ms,429=0.1,5xx=0.05,timeout=0.01'",
    )
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (anyone who reaches it sees demo data)",
    )
    serve.set_defaults(func=run_serve)


async def run_serve(args: argparse.Namespace, ctx: Context) -> int:
    import uvicorn

    from ..sandbox.app import create_app
    from ..sandbox.faults import FaultSpec
    from ..sandbox.store import Store

    if not is_loopback(args.host) and not args.allow_remote:
        raise ConfigError(f"--host {args.host} is not loopback; add --allow-remote to serve it")
    try:
        faults = FaultSpec.parse(args.serve_faults or args.faults)
    except ValueError as exc:
        raise ConfigError(f"--faults: {exc}") from None
    sock = listen(args.host, args.port)  # a busy port says so before anything claims to serve
    app = create_app(Store.open(), faults, in_process=False)
    base = f"http://{args.host}:{sock.getsockname()[1]}"
    print(
        f"sandbox serving on {base} (platforms under {base}/heyloyalty, /emma, /ownpage, "
        "/kajabi, /placewise); ctrl+c stops",
        file=ctx.out,
        flush=True,
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host=args.host, port=args.port, log_level="warning")
    )
    await server.serve(sockets=[sock])
    return 0
