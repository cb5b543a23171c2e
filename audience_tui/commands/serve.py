"""`audience-tui serve`: the same app in a web browser, through textual-serve.

Each browser tab starts its own `audience-tui` process on this machine, as the user who ran
`serve`: it uses that user's accounts, keyring and settings, writes exports and the audit record
here, and its clipboard copies go to the browser (xterm.js's OSC 52 handler, which browsers allow
on localhost or https only). There is no login, so the default is loopback; any other host needs
--allow-remote and is warned about.
"""

from __future__ import annotations

import argparse
import getpass
import shlex
import sys
from typing import Any

from ..core.accounts import is_loopback
from ..core.errors import ConfigError

DEFAULT_PORT = 8000
REMOTE_WARNING = """\
WARNING: serving on {host}, not loopback, with no login. Whoever reaches {url} acts with the
accounts stored for {user} on this machine (their keyring secrets): they can look people up,
export lists and opt people out. Keep it behind a firewall or an authenticating proxy."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the app to a web browser (127.0.0.1 by default)",
        description="Serve the terminal app in a web browser with textual-serve. Each tab runs "
        "the app on this machine with its accounts; `--demo` serves the demo instead.",
        epilog="example: audience-tui --demo serve --port 8000, then open http://127.0.0.1:8000",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host: anyone who reaches it uses your stored accounts",
    )
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL browsers use, when behind a proxy (default: http://HOST:PORT)",
    )
    p.set_defaults(run=run_serve)


def app_command(args: argparse.Namespace) -> str:
    """The command each browser tab runs: this same Python and package, with the global flags."""
    argv = [sys.executable, "-m", "audience_tui"]
    if args.demo:
        argv.append("--demo")
    if args.faults:
        argv += ["--faults", args.faults]
    if args.debug:
        argv.append("--debug")
    return shlex.join(argv)


def run_serve(args: argparse.Namespace) -> int:
    from textual_serve.server import Server

    url = args.public_url or f"http://{args.host}:{args.port}"
    if not is_loopback(args.host):
        if not args.allow_remote:
            print(
                f"error: --host {args.host} is not loopback; whoever reaches it would act with "
                "your stored accounts. Add --allow-remote if that is what you want.",
                file=sys.stderr,
            )
            return ConfigError.exit_code
        print(
            REMOTE_WARNING.format(host=args.host, url=url, user=getpass.getuser()), file=sys.stderr
        )
    server = Server(
        app_command(args),
        host=args.host,
        port=args.port,
        title="audience-tui",
        public_url=args.public_url,
    )
    server.serve()  # its debug= turns on Textual devtools; our --debug is the verbose log
    return 0
