"""The layers hold at run time: importing all of core loads no screen library and no adapter,
emulator, screen or command module (import-linter checks the same statically, in .ci/run)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import audience_tui.core

PROBE = """
import importlib, json, sys
for name in {names!r}:
    importlib.import_module(name)
print(json.dumps(sorted(sys.modules)))
"""
FORBIDDEN = (
    "textual",
    "starlette",
    "audience_tui.providers",
    "audience_tui.sandbox",
    "audience_tui.demo",
    "audience_tui.tui",
    "audience_tui.commands",
)


def test_every_core_module_imports_without_the_screen_or_the_platforms() -> None:
    names = [
        f"audience_tui.core.{module.name}"
        for module in pkgutil.iter_modules(audience_tui.core.__path__)
    ]
    assert "audience_tui.core.session" in names and len(names) > 20  # not vacuous
    probe = PROBE.format(names=names)
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(result.stdout)
    assert set(names) <= set(loaded)
    found = [m for m in loaded if any(m == f or m.startswith(f"{f}.") for f in FORBIDDEN)]
    assert found == []
