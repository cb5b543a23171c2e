"""The README's promises that code can check: demo credentials and commands as documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from audience_tui.cli import build_parser, main
from audience_tui.demo import Sandbox, demo_accounts

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


def synopsis() -> list[str]:
    """The lines of the README's command-line synopsis (the first block under its heading)."""
    section = README.split("## Command line", 1)[1]
    return section.split("```", 2)[1].strip().splitlines()


def test_every_option_of_the_synopsis_is_accepted() -> None:
    """Each `--option` the synopsis shows exists on the (sub)command it is shown with; lines
    that continue one above (indented) belong to it."""
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    command = parser
    for line in synopsis():
        words = line.split()
        if words[0] == "audience-tui":
            command = commands.get(words[1].split("|")[0].strip("[]"), parser)
            nested = command._subparsers if command is not parser else None
            if nested is not None and len(words) > 2:
                command = nested._group_actions[0].choices[words[2].split("|")[0]]
        for option in re.findall(r"\[(--[a-z-]+)", line) + re.findall(r"\s(--[a-z-]+)\s", line):
            known = {s for action in command._actions for s in action.option_strings}
            assert option in known, f"{option} of {line.strip()!r} is not an option"


def test_the_status_field_the_readme_names_filters(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    field = re.search(r"such as Emma's `([^`]+)`", README)
    assert field is not None
    condition = f"{field.group(1)} eq unsubscribed"
    code = main(["--demo", "members", "demo-emma", "Donors", "--filter", condition, "--limit", "1"])
    out, err = capsys.readouterr()
    assert code == 0 and "opted out" in out, err
