"""Start-up: `audience-tui --demo` loads what its first frame (the accounts list) shows, and not
the screens, charts, markdown, keyring, CLI commands, adapters or sandbox it may need later (bench
figure 7).

The app runs in a fresh interpreter, as `audience-tui --demo` starts, headless; the modules are
read when its first frame is up (Textual's Ready event).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audience_tui.cli import COMMANDS, command_modules
from audience_tui.sandbox.demo_credentials import PLATFORMS
from audience_tui.sandbox.store import copy_store

PROBE = """
import gc, importlib.util, json, sys
from audience_tui import cli

def first_frame(app):
    paused = not gc.isenabled()
    on_ready(app)
    print(json.dumps({
        "screen": type(app.screen).__name__,
        "modules": sorted(name for name, module in sys.modules.items() if module),
        "collector paused until now": paused,
        "collector running after": gc.isenabled(),
    }))
    app.exit()

def patch(module):
    # Headless, and report at the first frame; patched as it is imported, so that the probe
    # imports nothing before cli.main does.
    global on_ready
    app, on_ready = module.AudienceApp, module.AudienceApp.on_ready
    run_async = app.run_async
    app.run_async = lambda self: run_async(self, headless=True, size=(120, 40))
    app.on_ready = first_frame

class Patcher:
    def find_spec(self, name, path, target=None):
        if name != "audience_tui.tui.app":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        exec_module = spec.loader.exec_module
        def patched(module):
            exec_module(module)
            patch(module)
        spec.loader.exec_module = patched
        return spec

sys.meta_path.insert(0, Patcher())
cli.main(["--demo"])
"""

# Loaded when first used, never for the first frame.
NOT_AT_START = (
    "plotext",  # charts
    "textual_plotext",
    "rich.markdown",  # help
    "markdown_it",
    "keyring",  # configured accounts' secrets; the demo has none
    "audience_tui.commands",  # the CLI's subcommands
    "audience_tui.tui.screens.charts",
    "audience_tui.tui.screens.imports",
    "audience_tui.tui.screens.lookup",
    "audience_tui.tui.screens.members",
    "audience_tui.tui.screens.filter_builder",
    # The demo sandbox starts on its first request, after the first frame (DeferredSandbox),
    # and the accounts screen names each platform without importing its adapter; the HTTP
    # client comes with the first adapter.
    "httpx",
    "msgspec",
    "audience_tui.core.http",
    "audience_tui.core.provider",
    "starlette.applications",
    "starlette.routing",
    "audience_tui.sandbox.app",
    *(f"audience_tui.sandbox.{platform}" for platform in PLATFORMS),
    *(f"audience_tui.providers.{platform}" for platform in PLATFORMS),
)


def probe_lines(probe: str, sandbox_template: Path, tmp_path: Path) -> list[str]:
    """What `probe` prints, run in a fresh interpreter over a copy of the demo data."""
    db = tmp_path / "sandbox.sqlite"
    copy_store(sandbox_template, db)
    env = {**os.environ, "AUDIENCE_TUI_SANDBOX_DB": str(db)}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()


def test_the_first_frame_loads_only_what_it_shows(sandbox_template: Path, tmp_path: Path) -> None:
    frame = json.loads(probe_lines(PROBE, sandbox_template, tmp_path)[-1])
    assert frame["screen"] == "AccountsScreen"
    loaded = [
        name
        for name in frame["modules"]
        if any(name == early or name.startswith(f"{early}.") for early in NOT_AT_START)
    ]
    assert loaded == []
    assert frame["collector paused until now"] and frame["collector running after"]


ALL = tuple(COMMANDS)


@pytest.mark.parametrize(
    ("argv", "modules"),
    [
        ([], ()),
        (["--demo"], ()),
        (["--demo", "--faults", "latency=50ms", "--debug"], ()),
        (["--faults=latency=50ms"], ()),
        (["--demo", "lookup", "someone@example.com"], ("browse",)),
        (["--faults", "5xx=0.1", "erase", "x@example.com"], ("compliance",)),
        (["subject-access", "--help"], ("compliance",)),
        (["--help"], ALL),
        (["--version"], ALL),
        (["--faults"], ALL),  # missing value: the full parser says so
        (["--dem"], ALL),  # an abbreviation: the full parser resolves it
        (["--demo", "lokup"], ALL),  # a mistake: the full parser names the commands
    ],
)
def test_a_run_parses_only_the_commands_it_names(argv: list[str], modules: tuple[str, ...]) -> None:
    assert command_modules(argv) == modules


@pytest.mark.parametrize("module", ALL)
def test_each_command_module_registers_the_commands_the_cli_routes_to_it(module: str) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    importlib.import_module(f"audience_tui.commands.{module}").register(sub)
    assert tuple(sub.choices) == COMMANDS[module]


COMMAND_PROBE = """
import json, sys
from audience_tui import cli
code = cli.main(["--demo", "lists", "demo-emma", "--format", "jsonl"])
loaded = sorted(name for name, module in sys.modules.items() if module)  # None: refused
print(json.dumps({"code": code, "modules": loaded}))
"""


def test_a_command_loads_neither_httpx_s_command_line_nor_the_other_commands(
    sandbox_template: Path, tmp_path: Path
) -> None:
    """httpx imports its CLI (click, rich's console, pygments) with itself when click is
    installed (uvicorn's dependency), ~15% of a command's start; audience_tui keeps it out.
    The other commands' modules stay out too (`cli.command_modules`)."""
    *rows, last = probe_lines(COMMAND_PROBE, sandbox_template, tmp_path)
    report = json.loads(last)
    assert report["code"] == 0 and len(rows) >= 2  # the lists were listed: the probe ran
    assert "httpx" in report["modules"] and "audience_tui.core.http" in report["modules"]
    assert [m for m in report["modules"] if m.split(".")[0] in ("click", "pygments")] == []
    assert "httpx._main" not in report["modules"]
    commands = {m for m in report["modules"] if m.startswith("audience_tui.commands.")}
    assert "audience_tui.commands.browse" in commands  # `lists` is its
    assert not commands & {f"audience_tui.commands.{m}" for m in ("compliance", "serve")}
