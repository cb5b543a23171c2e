"""The import screens do what the command line does: list member counts follow an import to its
end even after the user left the monitor, Heyloyalty's mail triggers are offered (off unless
ticked), members who opted out earlier are sent only when asked and confirmed apart, and what the
file's reading noted (a mixed encoding) is shown before anything is sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from test_imports_tui import (
    EMMA_CSV,
    choose_file,
    confirm,
    files,
    open_monitor,
    opted_out_of_vip,
    session,
    settle,
    until,
)
from textual.widgets import Button, Checkbox, DataTable, Label
from tui_helpers import SIZE, screen_text

from audience_tui.core.models import (
    ImportJob,
    ImportRequest,
)
from audience_tui.core.session import Session
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.confirm import ConfirmScreen
from audience_tui.tui.screens.import_mapping import MappingStep
from audience_tui.tui.screens.import_start import ImportStartScreen
from audience_tui.tui.screens.imports import ImportsScreen
from audience_tui.tui.screens.lists import ListsScreen

__all__ = ["files", "session"]  # fixtures, shared with the monitor's tests


def count_shown(lists: ListsScreen, audience_id: str) -> str:
    return lists.query_one(DataTable).get_cell(audience_id, "members").plain.split()[0]


@pytest.mark.parametrize(
    ("account", "list_name"), [("demo-placewise", "City Lade"), ("demo-heyloyalty", "VIP Club")]
)
async def test_list_counts_follow_an_import_after_the_monitor_is_left(
    session: Session, files: Callable[..., Path], account: str, list_name: str
) -> None:
    path = files("new.csv", "email\nnew.one@example.com\nnew.two@example.com\n")
    audience = await session.audience(account, list_name)
    before = audience.member_count
    assert before is not None
    app = AudienceApp(session)
    async with app.run_test() as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(account))
        await pilot.press("enter")
        await settle(pilot)
        lists = app.screen
        assert isinstance(lists, ListsScreen)
        await pilot.press("i")
        await settle(pilot)
        await choose_file(pilot, list_name, path)
        await confirm(pilot)
        await pilot.press("escape")  # back to the lists before the platform is done
        await settle(pilot)
        assert app.screen is lists
        await until(pilot, lambda: count_shown(lists, audience.id) == f"{before + 2:,}")


class Sent:
    """The requests an adapter was asked to import (the real import still runs)."""

    def __init__(self, session: Session, account: str, monkeypatch: pytest.MonkeyPatch) -> None:
        provider = session.provider(account)
        self.requests: list[ImportRequest] = []
        send = provider.start_import

        async def recorded(request: ImportRequest) -> ImportJob:
            self.requests.append(request)
            return await send(request)

        monkeypatch.setattr(provider, "start_import", recorded)


async def test_heyloyalty_offers_its_mail_triggers_off_unless_ticked(
    session: Session, files: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = Sent(session, "demo-heyloyalty", monkeypatch)
    path = files("dk.csv", "email\ntrig.one@example.com\n")
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await open_monitor(pilot, "demo-heyloyalty")
        await choose_file(pilot, "VIP Club", path)
        step = app.screen.query_one(MappingStep)
        boxes = {box.id: box for box in step.query(Checkbox).results(Checkbox) if box.display}
        assert set(boxes) == {"trigger_optin", "trigger_autoresponder"}  # nobody to send again
        assert not any(box.value for box in boxes.values())
        assert "opt-in mail" in str(boxes["trigger_optin"].label)
        boxes["trigger_optin"].value = True
        await confirm(pilot)
        await choose_file(pilot, "VIP Club", path)  # again, nothing ticked
        await confirm(pilot)
    first, second = sent.requests
    assert first.trigger_optin and not first.trigger_autoresponder
    assert not second.trigger_optin and not second.trigger_autoresponder


async def test_no_trigger_is_offered_where_the_platform_sends_none(
    session: Session, files: Callable[..., Path]
) -> None:
    path = files("people.csv", "email\nno.trigger@example.com\n")
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await open_monitor(pilot, "demo-emma")
        await choose_file(pilot, "Monthly Newsletter", path)
        step = app.screen.query_one(MappingStep)
        assert not [box for box in step.query(Checkbox).results(Checkbox) if box.display]


async def test_sending_who_opted_out_earlier_is_ticked_then_confirmed_apart(
    session: Session, files: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = Sent(session, "demo-heyloyalty", monkeypatch)
    gone = await opted_out_of_vip(session)
    path = files("back.csv", f"email\n{gone.email}\nnew.face.two@example.com\n")
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await open_monitor(pilot, "demo-heyloyalty")
        await choose_file(pilot, "VIP Club", path)
        step = app.screen.query_one(MappingStep)
        again = step.query_one("#resubscribe", Checkbox)
        assert again.display and not again.value
        assert str(step.query_one("#confirm", Button).label) == "Import 1 row"
        again.value = True
        await settle(pilot)
        assert str(step.query_one("#confirm", Button).label) == "Import 2 rows"
        assert "1 opted out earlier: SENT" in str(step.query_one("#summary", Label).render())
        await pilot.click("#confirm")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)  # asked apart, Cancel first
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ImportStartScreen) and not sent.requests  # nothing sent
        await pilot.click("#confirm")
        await settle(pilot)
        await pilot.click("#yes")
        await settle(pilot)
        assert isinstance(app.screen, ImportsScreen)
    [request] = sent.requests
    assert request.resubscribe and len(request.rows) == 2


async def test_what_reading_the_file_noted_is_shown_before_sending(
    session: Session, files: Callable[..., Path]
) -> None:
    path = files(
        "mixed.csv", "email,firstname\nåsa@example.com,Åsa\n".encode() + b"zoe@example.com,Zo\xeb\n"
    )
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await open_monitor(pilot, "demo-emma")
        await choose_file(pilot, "Monthly Newsletter", path)
        notes = app.screen.query_one(MappingStep).query_one("#notes", Label)
        assert notes.display
        said = str(notes.render())
        assert said.startswith("⚠ the file mixes encodings: line(s) 3 are not UTF-8")


async def test_the_mapping_step_at_80_columns_shows_its_headings_whole(
    session: Session, files: Callable[..., Path]
) -> None:
    """The columns' pane gives up room at 80 columns: the preview's heading and the refused
    rows' headings are read whole beside it, not cut at the screen's edge."""
    path = files("people.csv", EMMA_CSV)
    app = AudienceApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_monitor(pilot, "demo-emma")
        await choose_file(pilot, "Monthly Newsletter", path)
        assert app.screen.query(MappingStep)
        shown = screen_text(app)
        assert "First rows, as they will be sent" in shown
        assert "Why it will be refused" in shown
        assert "Email  (email)" in shown  # and the fields chosen still read whole
