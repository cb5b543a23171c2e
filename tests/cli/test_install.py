"""What an installed audience-tui promises: `python -m audience_tui`, `--version`, the log file
(under the state dir, named in --help, secrets masked, rotated, verbose with --debug), and a
wheel that carries the stylesheet and the entry point (built only with AUDIENCE_TUI_BUILD=1: it
takes ~20 s and fetches setuptools)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import platformdirs
import pytest

from audience_tui import __version__
from audience_tui.cli import LOG_BACKUPS, build_parser, log_path, main, setup_logging
from audience_tui.core.redact import register_secret

ROOT = Path(__file__).parents[2]


def test_python_dash_m_and_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "audience_tui", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"audience-tui {__version__}"


def test_help_names_the_log_file_and_the_settings_file() -> None:
    text = " ".join(build_parser().format_help().split())
    expected = Path(platformdirs.user_state_dir("audience-tui")) / "logs" / "audience-tui.log"
    assert log_path() == expected
    assert f"log file: {expected}" in text
    assert "settings: " in text and "settings.toml" in text


def test_log_is_redacted_and_debug_is_verbose() -> None:
    register_secret("sk-very-secret-1234")
    path = setup_logging(debug=False, console=False)
    log = logging.getLogger("audience_tui.test")
    log.debug("hidden detail")
    log.warning("token %s in a message", "sk-very-secret-1234")
    try:
        raise RuntimeError("failed with sk-very-secret-1234")
    except RuntimeError:
        log.exception("a traceback")
    setup_logging(debug=True, console=False)
    log.debug("now shown")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "sk-very-secret-1234" not in text
    assert "token *** in a message" in text and "failed with ***" in text
    assert "hidden detail" not in text and "now shown" in text


def test_log_rotates(log_bytes: int) -> None:
    path = setup_logging(debug=False, console=False)
    log = logging.getLogger("audience_tui.test")
    line = "x" * 1000
    for _ in range(log_bytes * (LOG_BACKUPS + 2) // 1000):
        log.info(line)
    logs = sorted(path.parent.iterdir())
    assert [p.name for p in logs] == ["audience-tui.log"] + [
        f"audience-tui.log.{n}" for n in range(1, LOG_BACKUPS + 1)
    ]
    assert all(p.stat().st_size <= log_bytes + 2000 for p in logs)


def test_a_command_logs_to_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--debug", "config", "path"]) == 0
    assert capsys.readouterr().out.strip().endswith("settings.toml")
    assert log_path().exists()


@pytest.mark.skipif(
    os.environ.get("AUDIENCE_TUI_BUILD") != "1", reason="set AUDIENCE_TUI_BUILD=1 to build"
)
def test_wheel_carries_the_package(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
        check=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("audience_tui-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"audience_tui-{__version__}.dist-info/METADATA").decode()
        entry_points = archive.read(f"audience_tui-{__version__}.dist-info/entry_points.txt")
    assert {"audience_tui/tui/app.tcss", "audience_tui/__main__.py"} <= names
    assert "audience_tui/commands/serve.py" in names
    assert b"audience-tui = audience_tui.cli:main" in entry_points
    assert "Requires-Dist: textual-serve" in metadata
