"""Binding ids and remapped keys: every binding has an id, a description and a place in `?` help;
the settings' [keys] table remaps a key for real (help, footer and palette follow); problems with
it are reported; `audience-tui keys` prints the effective map; defaults avoid taken chords."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App
from textual.screen import Screen
from tui_helpers import SIZE, open_lists, running, screen_text, settle

from audience_tui.cli import main
from audience_tui.core.session import Session
from audience_tui.core.settings import load, settings_path
from audience_tui.tui.actions import (
    TAKEN_CHORDS,
    binding_owners,
    declared_bindings,
    key_entries,
    keymap_problems,
)
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.compliance import ComplianceScreen
from audience_tui.tui.screens.help import HelpScreen, bindings_table
from audience_tui.tui.screens.members import MembersScreen
from audience_tui.tui.screens.opt_out import OptOutScreen


def write_settings(text: str) -> Path:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def table_text(screen: Screen[object]) -> str:
    """The keys table `?` help shows for `screen`, as plain text (however long the dialog)."""
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(bindings_table(screen))
    return console.export_text()


def test_every_binding_has_an_id_and_a_description() -> None:
    owners = binding_owners()
    assert {"AudienceApp", "AccountsScreen", "MembersScreen", "MemberTable"} <= {
        owner.__name__ for owner in owners
    }
    actions: dict[str, str] = {}
    for owner in owners:
        for binding in declared_bindings(owner):
            where = f"{owner.__name__} {binding.key}"
            assert binding.id, f"{where}: no id"
            assert binding.description, f"{where}: no description"
            # one id, one action: a keymap entry must never move two different things
            assert actions.setdefault(binding.id, binding.action) == binding.action, where
            name = binding.action.split("(")[0].removeprefix("app.")
            assert hasattr(owner, f"action_{name}") or hasattr(AudienceApp, f"action_{name}"), (
                f"{where}: no action {name}"
            )


def test_every_screen_has_help_text() -> None:
    for owner in binding_owners():
        if issubclass(owner, Screen) and owner is not HelpScreen:
            assert getattr(owner, "HELP", None), f"{owner.__name__} has no HELP"


def test_defaults_avoid_chords_terminals_take() -> None:
    for entry in key_entries({}):
        taken = set(entry.default.split(",")) & set(TAKEN_CHORDS)
        assert not taken, f"{entry.id} uses {taken}"


async def test_every_binding_appears_in_help(session: Session) -> None:
    """Each class's bindings, on a screen of their own, are all listed by `?` help with keys."""
    async with running(session) as (app, pilot):
        for owner in binding_owners():
            bindings = declared_bindings(owner)
            if issubclass(owner, App):
                probe: Screen[None] = app.screen  # the app's bindings show on every screen
            else:
                probe = type(f"{owner.__name__}Probe", (Screen,), {"BINDINGS": bindings})()
                await app.push_screen(probe)
                await pilot.pause()
            shown = table_text(probe)
            for binding in bindings:
                line = next((ln for ln in shown.splitlines() if f" {binding.id}" in ln), "")
                assert binding.description in line, f"{owner.__name__}: {binding.id} not in help"
                assert app.get_key_display(binding) in line, f"{binding.id}: key not shown"
            if probe is not app.screen or not issubclass(owner, App):
                app.pop_screen()
                await pilot.pause()


async def test_the_accounts_line_names_the_keys_the_footer_has_no_room_for(
    session: Session,
) -> None:
    """`p` and `x` are not in the accounts screen's footer: the selected account's line names
    them, as bound now, and the key it names opens the Compliance jobs."""
    write_settings('[keys]\n"accounts.compliance" = "f7"\n')
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        detail = str(app.screen.query_one("#detail").render())
        assert detail == (
            "⏎: lists of demo-placewise   /: look up an email in every account   "
            "p: probe its assumptions   f7: compliance jobs"
        )
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, ComplianceScreen)


async def test_remapped_key_works_and_shows_in_help_footer_and_palette(session: Session) -> None:
    write_settings('[keys]\n"table.opt_out" = "f6"\napp.lookup = ["slash", "f3"]\n')
    app = AudienceApp(session)
    assert app.problems == []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_lists(pilot, "demo-heyloyalty")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MembersScreen)
        await screen.settle()
        await pilot.pause()
        assert "f6 Opt out" in screen_text(app)  # the footer
        await pilot.press("o")  # the old key does nothing now
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, OptOutScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        help_lines = table_text(app.screen.about).splitlines()
        assert any("f6" in ln and "table.opt_out" in ln for ln in help_lines)
        assert any("/ f3" in ln and "app.lookup" in ln for ln in help_lines)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+p", *"opt out")
        await settle(pilot)
        assert "Opt out (f6)" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f3")  # the added key opens the lookup
        await settle(pilot)
        assert type(app.screen).__name__ == "LookupScreen"


async def test_clash_unknown_id_and_taken_chord_are_reported(session: Session) -> None:
    path = write_settings(
        '[keys]\n"table.opt_out" = "e"\n"table.nope" = "z"\n"app.help" = "ctrl+s"\n'
    )
    problems = keymap_problems(load(path))
    found = {(p.line, p.key, p.message.split(" ")[0]) for p in problems}
    assert found == {
        (2, "[keys] table.opt_out", "e"),
        (3, "[keys] table.nope", "no"),
        (4, "[keys] app.help", "ctrl+s"),
    }
    clash = next(str(p) for p in problems if p.line == 2)
    assert clash.endswith("e is also table.export on MembersScreen: one will not work")
    async with running(session) as (app, _pilot):
        messages = [n.message for n in app._notifications if n.title == "Settings"]
        assert messages == [str(problem) for problem in problems]
        assert f"{path}:3: [keys] table.nope: no binding has this id" in messages[1]


def test_keys_command_prints_the_effective_map(capsys: pytest.CaptureFixture[str]) -> None:
    write_settings('[keys]\n"table.opt_out" = "x"\n"nothing.here" = "z"\n')
    assert main(["keys", "--format", "jsonl"]) == 0
    captured = capsys.readouterr()
    rows = {row["id"]: row for row in map(json.loads, captured.out.splitlines())}
    assert rows["table.opt_out"]["keys"] == "x" and rows["table.opt_out"]["default"] == "o"
    assert rows["app.lookup"] == {
        "id": "app.lookup",
        "keys": "slash",
        "default": "slash",
        "action": "Look up email",
        "where": "everywhere",
    }
    assert rows["table.opt_out"]["where"] == "Members screen"
    assert all(row["default"] and " " not in row["where"][:1] for row in rows.values()), rows
    assert {entry.id for entry in key_entries({})} == set(rows)
    assert "nothing.here: no binding has this id" in captured.err
