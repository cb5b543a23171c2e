"""`audience-tui sandbox serve`: the five emulated platforms over HTTP on loopback;
`audience-tui sandbox build`: the demo's big lists built now, with a progress bar."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from ..core.accounts import is_loopback
from ..core.errors import ConfigError
from .arg_types import port_number
from .context import Context
from .listening import listen

if TYPE_CHECKING:
    from ..demo import BuildProgress

BUILD_POLL = 0.25  # seconds between redraws of the build's progress
BAR = 28  # cells of the progress bar


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
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument("--port", type=port_number, default=8765, help="(default: 8765)")
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
    build = actions.add_parser(
        "build",
        help="build the demo's big lists now, with a progress bar",
        description="Build the demo's million-member lists now instead of in the background "
        "while the app runs (Heyloyalty 'All customers (1M)' and Placewise 'Mega Mall (1M)'; "
        "--all adds Ownpage's, Emma's and Kajabi's). An interrupted build resumes next time.",
    )
    build.add_argument("--all", action="store_true", help="every platform's big list")
    build.set_defaults(func=run_build)


def build_names(builds: Sequence[BuildProgress]) -> list[str]:
    """The list each build fills; a list built in two passes (Heyloyalty's members, then their
    documents) is named with its pass."""
    names = [build.label.split(": ", 1)[-1] for build in builds]
    return [
        f"{name}, pass {names[:number].count(name) + 1}" if names.count(name) > 1 else name
        for number, name in enumerate(names)
    ]


def progress_line(build: BuildProgress, name: str) -> str:
    """One build as a bar: `Mega Mall (1M members) [#####.....]  45%  450,000 of 1,000,000`."""
    filled = round(build.fraction * BAR)
    done = build.total if build.finished else build.done
    state = f"  failed: {build.error}" if build.error else ""
    return (
        f"{name:<32} [{'#' * filled}{'.' * (BAR - filled)}] {build.fraction:4.0%}  "
        f"{done:,} of {build.total:,}{state}"
    )


class BuildBars:
    """The builds' progress on a stream: redrawn in place on a terminal, else a line each time
    a build gains a tenth or ends (a log file or a pipe gets no carriage returns)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.live = out.isatty()
        self.ended: set[int] = set()  # builds (by position) whose last line is written
        self.tenths: dict[int, int] = {}  # without a terminal: the tenth last written

    def draw(self, builds: Sequence[BuildProgress]) -> None:
        """Ended builds once each; then the running ones: on a terminal the first, redrawn in
        place; else each that gained a tenth (builds in two database files run at once)."""
        back = "\r" if self.live else ""
        names = build_names(builds)
        running: list[int] = []
        for number, build in enumerate(builds):
            if build.finished or build.error is not None:
                if number not in self.ended:
                    self.ended.add(number)
                    self._write(back + progress_line(build, names[number]) + "\n")
            elif build.started or not running:  # the first unfinished, before a thread starts
                running.append(number)
        for number in running[:1] if self.live else running:
            build, tenth = builds[number], int(builds[number].fraction * 10)
            if self.live:
                self._write(back + progress_line(build, names[number]))
            elif self.tenths.get(number, -1) < tenth:
                self.tenths[number] = tenth
                self._write(progress_line(build, names[number]) + "\n")

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


async def run_build(args: argparse.Namespace, ctx: Context) -> int:
    from ..demo import Sandbox
    from ..sandbox.store import Store, size_on_disk

    store = Store.open(big_lists=True if args.all else None)
    if not store.big:
        print("no big list to build: AUDIENCE_TUI_SANDBOX_SMALL is set", file=ctx.err)
        return 0
    Sandbox.start(store)  # installs the small lists and starts the big ones' builds
    builds = list(store.builds.values())
    bars = BuildBars(ctx.err)
    while True:
        bars.draw(builds)
        if all(build.finished or build.error for build in builds):
            break
        await asyncio.sleep(BUILD_POLL)
    failed = [build for build in builds if build.error]
    print(
        f"{len(builds) - len(failed)} of {len(builds)} builds done; the demo's cache is "
        f"{store.path} and the files beside it ({size_on_disk(store.path) / 1e6:,.0f} MB)",
        file=ctx.err,
    )
    return 1 if failed else 0


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
