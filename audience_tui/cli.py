"""Entry point `audience-tui`: launches the TUI, or runs one of the scriptable subcommands.

Exit codes (design.md): 0 ok, 2 usage, 3 auth, 4 network, 5 not found.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
from collections.abc import Sequence

from . import __version__
from .core.errors import AudienceError
from .core.redact import redact

COMMAND_MODULES = ("accounts", "browse", "writes", "sandbox_cmd")
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
Browse, filter, chart and opt out members of email and loyalty audiences on Placewise MPC,
Ownpage, Kajabi, Emma and Heyloyalty. Without a subcommand, opens the terminal app.

Try it with no account at all: every command works against a built-in sandbox with --demo,
e.g. `audience-tui --demo lookup ola.nordmann@example.com`.
"""
EPILOG = """\
exit codes: 0 ok, 2 usage or invalid input, 3 authentication, 4 network or platform error,
5 not found.  Run `audience-tui COMMAND --help` for each command's options and examples.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audience-tui",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"audience-tui {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="use the built-in sandbox's demo accounts (no account needed)",
    )
    parser.add_argument(
        "--faults",
        metavar="SPEC",
        default=None,
        help="with --demo: make the sandbox misbehave, e.g. 'latency=50ms,429=0.1'",
    )
    parser.add_argument("--debug", action="store_true", help="verbose log on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        from .tui.launch import launch

        return launch(args)
    from .commands.context import Context

    try:
        with Context.open(args) as ctx:
            return asyncio.run(ctx.run(args.func))
    except AudienceError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
