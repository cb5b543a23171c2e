"""Entry point `audience-tui`: launches the TUI, or runs one of the scriptable subcommands.

Exit codes: in EPILOG below and the README (0 done, 1 cancelled or a defect, 2 usage, 3 auth,
4 network or platform, 5 not found, 130 interrupted, 141 the reader went away).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from . import __version__
from .core.logfile import PrivateRotatingFileHandler, without_emails
from .core.redact import redact
from .core.sanitize import clean_lines

if TYPE_CHECKING:
    from .bootstrap import Sleep

# The command modules (audience_tui.commands.*) and the commands each registers. A run of one
# command imports and builds only its module's parsers (the others' imports and parsers took
# ~30 ms of a command's ~0.35 s start); `--help`, `--version` and anything unrecognised get
# the whole CLI, to list or to say what is wrong.
COMMANDS = {
    "accounts": ("accounts",),
    "browse": ("lists", "members", "lookup", "aggregate"),
    "writes": ("optout", "imports", "import"),
    "compliance": ("suppress", "erase", "subject-access", "drift"),
    "sandbox_cmd": ("sandbox",),
    "config": ("config", "keys"),
    "serve": ("serve",),
}
# The options of the terminal app itself: an argv of only these opens it without importing any
# command's module (they bring the CLI's output, export and aggregation code: ~25 ms of start-up).
APP_FLAGS = ("--demo", "--debug")
APP_OPTIONS = ("--faults",)  # take a value
DASH_VALUED = ("--sort",)  # options whose value may start with '-' (a descending sort)
LOG_BYTES, LOG_BACKUPS = 1_000_000, 3  # rotated: at most 4 MB of logs are kept
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
EXIT_PIPE = 141  # 128 + SIGPIPE: what a shell reports for any tool whose reader went away

DESCRIPTION = """\
Browse, filter, chart and opt out members of email and loyalty audiences on Placewise MPC,
Ownpage, Kajabi, Emma and Heyloyalty. Without a subcommand, opens the terminal app.

Try it with no account at all: every command works against a built-in sandbox with --demo,
e.g. `audience-tui --demo lookup henrik.johnsen2100@mail.example.no`.
"""
EPILOG = """\
exit codes: 0 done; 1 cancelled at a confirmation (nothing sent), or an unexpected error (its crash
report is named); 2 usage or invalid input; 3 authentication; 4 network or platform error, a failed
write, a port in use, a full disk; 5 not found; 130 interrupted; 141 the output's reader went away
(| head).
output: table for people, csv and jsonl for scripts; in csv a value a spreadsheet would run as a
formula (= + - @, phone numbers too) gets a leading ' (--no-formula-guard: as it is).
Run `audience-tui COMMAND --help` for each command's options and examples.
settings: {settings}  (`audience-tui config show`)
log file: {log}  (secrets masked, rotated; --debug makes it verbose)
"""


def log_path() -> Path:
    return Path(platformdirs.user_state_dir("audience-tui")) / "logs" / "audience-tui.log"


class Redacting(logging.Filter):
    """Every record masked by core.redact, emails taken out and control characters replaced
    (core.sanitize: a message may quote a server's answer), before any handler writes it,
    tracebacks included."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = clean_lines(without_emails(redact(record.getMessage()))), None
        if record.exc_info:  # formatted here, as another handler may have cached it unmasked
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text = clean_lines(without_emails(redact(text)))
        return True


def setup_logging(debug: bool, *, console: bool) -> Path:
    """Log to the rotated file under the state dir; with `console`, warnings also to stderr.

    The terminal app gets no stderr handler: a line written there would tear its screen.
    """
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_log_handlers()  # main() called again in one process (tests)
    root = logging.getLogger()
    handlers: list[logging.Handler] = [
        PrivateRotatingFileHandler(
            path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
    ]
    handlers[0].setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
        handlers[1].setLevel(logging.DEBUG if debug else logging.WARNING)
        handlers[1].setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    for handler in handlers:
        handler.addFilter(Redacting())
        handler.audience_tui = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    return path


def remove_log_handlers() -> None:
    """Take the handlers `setup_logging` added off the root logger, closing their files."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "audience_tui", False)]:
        root.removeHandler(handler)
        handler.close()


def command_modules(argv: Sequence[str]) -> tuple[str, ...]:
    """The command modules `argv` needs parsed: none when it only opens the terminal app, the
    command's own module for a command, all of them otherwise (--help, --version, a mistake,
    an abbreviation: the full parser lists, resolves or refuses)."""
    tokens = iter(argv)
    for token in tokens:
        name, equals, _ = token.partition("=")
        if token in APP_FLAGS or (equals and name in APP_OPTIONS):
            continue
        if token in APP_OPTIONS and not next(tokens, "-").startswith("-"):
            continue
        owners = [module for module, names in COMMANDS.items() if token in names]
        return tuple(owners or COMMANDS)
    return ()


def glue_dash_values(argv: Sequence[str]) -> list[str]:
    """`--sort -name` as `--sort=-name`: argparse takes a lone `-name` for an unknown option."""
    out: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        if token in DASH_VALUED:
            value = next(tokens, None)
            if value is not None and value.startswith("-") and not value.startswith("--"):
                out.append(f"{token}={value}")
                continue
            out.extend([token] if value is None else [token, value])
            continue
        out.append(token)
    return out


def build_parser(modules: Sequence[str] = tuple(COMMANDS)) -> argparse.ArgumentParser:
    """The CLI with the commands of `modules` (default: all; none: only the app's own options,
    see `command_modules`)."""
    from .core.settings import settings_path

    parser = argparse.ArgumentParser(
        prog="audience-tui",
        description=DESCRIPTION,
        epilog=EPILOG.format(settings=settings_path(), log=log_path()),
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
    parser.add_argument(
        "--debug", action="store_true", help="verbose log (the log file is named below)"
    )
    if not modules:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in modules:
        importlib.import_module(f"{__package__}.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, sleep: Sleep | None = None) -> int:
    """Run the app or one command; a reader that closed the pipe (`| head`) ends it quietly.

    `sleep` is the retry backoff's wait (tests pass one that returns at once, so a command under
    faults retries without waiting for real)."""
    started = time.monotonic()  # the commands' deadlines count from here
    if sys.stdout is None:  # started with it closed (`>&-`): nowhere to write a row to
        print("error: the output is closed; send it to a file or to /dev/null", file=sys.stderr)
        return EXIT_USAGE
    try:
        try:
            return _main(argv, sleep, started)
        finally:
            sys.stdout.flush()  # the last buffered rows fail here when the reader is gone
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_PIPE
    except OSError as exc:  # the last rows could not be written either (a full disk)
        _silence_stdout()
        return _told(exc)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so Python's own flush at exit cannot fail and print again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # not a real file (tests capture stdout)
        pass


def _main(argv: Sequence[str] | None, sleep: Sleep | None, started: float) -> int:
    argv = glue_dash_values(sys.argv[1:] if argv is None else argv)
    parser = build_parser(command_modules(argv))
    args = parser.parse_args(argv)
    setup_logging(args.debug, console=args.command is not None)
    try:  # the app's start-up too: a cache it cannot create is told here, before any frame
        if args.command is None:
            from .tui.launch import launch

            return launch(args)
        if (run := getattr(args, "run", None)) is not None:
            return run(args)  # a command that runs its own event loop (serve)
        from .commands.context import Context

        return asyncio.run(Context(args, sleep=sleep, started=started).run(args.func))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        raise  # main() ends quietly: not a defect
    except Exception as exc:  # known: one line and its code; a defect: its report's path too
        _flush_or_silence()
        return _told(exc)


def _flush_or_silence() -> None:
    """Write out the rows still buffered; when that fails too (a full disk), drop them, so the
    flush at exit cannot fail again and print a second error."""
    try:
        sys.stdout.flush()
    except OSError:
        _silence_stdout()


def _told(exc: Exception) -> int:
    """Say `exc` in one line (core.crash: known errors in their words, a defect with its
    report's path) and return its exit code."""
    from .core import crash

    line, code = crash.told(exc)
    print(f"error: {line}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
