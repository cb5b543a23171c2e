"""The layers hold at run time: importing all of core loads no screen library and no adapter,
emulator, screen or command module (import-linter checks the same statically, in .ci/run)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import httpx
import pytest

import audience_tui.core
from audience_tui.core.platforms import NAMES, adapter_class
from audience_tui.core.provider import Provider
from audience_tui.demo import demo_accounts

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


def test_an_adapter_missing_an_operation_cannot_be_made() -> None:
    account, secrets = demo_accounts()[0]
    heyloyalty = adapter_class("heyloyalty")
    written = {k: v for k, v in vars(heyloyalty).items() if k not in ("lookup", "__dict__")}
    incomplete = type("Incomplete", (Provider,), written)  # Heyloyalty's, less `lookup`
    with pytest.raises(TypeError, match="lookup"):
        incomplete(account, secrets, transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    assert [name for name in NAMES if adapter_class(name).__abstractmethods__] == []
