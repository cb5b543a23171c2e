"""The README's promises that code can check: demo credentials and commands as documented."""

from __future__ import annotations

import re
from pathlib import Path

from audience_tui.cli import build_parser
from audience_tui.demo import demo_accounts

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_demo_credential_is_listed() -> None:
    for account, secrets in demo_accounts():
        for value in [*account.settings.values(), *secrets.values()]:
            assert f"`{value}`" in README, f"{account.name}: {value} missing from README"


def test_every_documented_subcommand_exists() -> None:
    commands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    for name in (
        "accounts",
        "lists",
        "members",
        "lookup",
        "optout",
        "aggregate",
        "imports",
        "import",
        "sandbox",
    ):
        assert name in commands
        assert f"audience-tui {name}" in README


def test_every_screenshot_the_readme_shows_exists() -> None:
    shown = re.findall(r"\]\((screenshots/[^)]+\.png)\)", README)
    assert shown
    root = Path(__file__).parents[2]
    assert [path for path in shown if not (root / path).exists()] == []
