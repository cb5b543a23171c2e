"""`audience-tui serve`: the same app in a web browser, through textual-serve.

Each browser tab starts its own `audience-tui` process on this machine, as the user who ran
`serve`: it uses that user's accounts, keyring and settings, writes exports and the audit record
here, and its clipboard copies go to the browser (xterm.js's OSC 52 handler, which browsers allow
on localhost or https only). There is no login, so the default is loopback; any other host needs
--allow-remote and is warned about.

Loopback does not protect from the user's own browser: any web page it shows can reach
127.0.0.1. So, as Jupyter does, each launch makes a secret that only the printed URL holds: the page
and its websocket need it. The websocket must also come from the served origin (a foreign page's
script cannot forge the Origin header; `null` is refused), and every request must name this
server in its Host header (a rebound DNS name that points at 127.0.0.1 is refused).
"""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import shlex
import socket
import sys
from typing import Any

from ..core.accounts import is_loopback
from ..core.errors import AudienceError, ConfigError
from ..core.redact import redact
from .arg_types import port_number
from .listening import listen

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
    p.add_argument(
        "--port", type=port_number, default=DEFAULT_PORT, help=f"(default: {DEFAULT_PORT})"
    )
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


def _every_address(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified  # 0.0.0.0, ::
    except ValueError:
        return False


def run_serve(args: argparse.Namespace) -> int:
    from ..bootstrap import faults
    from .serve_guard import GuardedServer

    try:  # each tab opens the app through the composition root: refuse what it would refuse
        faults(args.faults)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if not is_loopback(args.host) and not args.allow_remote:
        print(
            f"error: --host {args.host} is not loopback; whoever reaches it would act with "
            "your stored accounts. Add --allow-remote if that is what you want.",
            file=sys.stderr,
        )
        return ConfigError.exit_code
    if _every_address(args.host) and not args.public_url:
        print(
            f"error: --host {args.host} listens on every address, and only requests naming this "
            "server are answered: add --public-url with the URL browsers use "
            f"(e.g. http://{socket.gethostname()}:{args.port})",
            file=sys.stderr,
        )
        return ConfigError.exit_code
    try:
        sock = listen(args.host, args.port)
    except AudienceError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    port = sock.getsockname()[1]
    server = GuardedServer(
        app_command(args),
        host=args.host,
        port=port,
        title="audience-tui",
        public_url=args.public_url,
    )
    if not is_loopback(args.host):
        print(
            REMOTE_WARNING.format(host=args.host, url=server.public_url, user=getpass.getuser()),
            file=sys.stderr,
        )
    server.serve_on(sock)  # textual-serve's debug= turns on devtools; our --debug is the log
    return 0
