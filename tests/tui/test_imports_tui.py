"""Pilot tests of the import monitor and a new import on every platform: the mapping step with
its preview and refused rows, nothing sent before confirming, the job followed to its end, the
platforms that cannot report (Heyloyalty, Ownpage) or import (Kajabi), bad files, and polls that
never overlap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Label, Select
from textual.worker import WorkerState
from tui_helpers import SIZE, flush, rows, screen_text, until

from audience_tui.cli import main
from audience_tui.core.audit import AuditLog
from audience_tui.core.errors import ConfigError, NetworkError
from audience_tui.core.models import (
    Account,
    ImportJob,
    ImportRequest,
    ImportState,
    Member,
    MemberStatus,
    PageRequest,
    Query,
)
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox, demo_session
from audience_tui.providers.placewise import imports as placewise_imports
from audience_tui.sandbox.faults import FaultSpec
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens import imports as imports_screen
from audience_tui.tui.screens.accounts import AccountsScreen
from audience_tui.tui.screens.import_mapping import IGNORE, MappingStep
from audience_tui.tui.screens.import_start import CsvTree, ImportStartScreen
from audience_tui.tui.screens.imports import ImportsScreen

HOSTILE = "[@click=app.quit]x[/] \x1b]0;pwned\x07"
EMMA_CSV = (
    "Email,First Name,City,Shoe size\n"
    "ann.import@example.com,Ann,Oslo,38\n"
    "not-an-email,Bob,Bergen,40\n"
    "cy.import@example.com,Cy,,41\n"
)


@pytest.fixture
async def session(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Session]:
    monkeypatch.setattr(imports_screen, "FAST_POLL", 0.05)
    # Placewise's "polls >= 5 s apart", which the adapter keeps, would hold each Placewise
    # import's end back 5 s; the adapter's tests check that rule.
    monkeypatch.setattr(placewise_imports, "POLL_SECONDS", 0.05)
    session = demo_session(sandbox)
    yield session
    await session.aclose()


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str | bytes], Path]:
    """write("name.csv", content) -> its path, in a folder that is also the picker's root."""
    folder = tmp_path / "files"
    folder.mkdir()
    monkeypatch.chdir(folder)

    def write(name: str, content: str | bytes) -> Path:
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


async def settle(pilot: Pilot[None]) -> None:
    """Every worker done, except the file picker's loader, which waits for folders forever, and
    the app's following of a started import to its end (core.importer.see_through)."""
    await flush(pilot)
    for _ in range(1000):
        busy = [
            w
            for w in pilot.app.workers
            if w.group not in ("_loader", "imports-through")
            and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
        ]
        if not busy:
            break
        await asyncio.sleep(0.01)
    await flush(pilot)


async def open_monitor(pilot: Pilot[None], account: str) -> ImportsScreen:
    await settle(pilot)
    table = pilot.app.screen.query_one(DataTable)
    table.move_cursor(row=table.get_row_index(account))
    await pilot.press("i")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ImportsScreen)
    return pilot.app.screen


async def choose_file(pilot: Pilot[None], list_name: str | None, path: Path | str) -> None:
    """`n`, the list by name, the path typed, enter."""
    await pilot.press("n")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ImportStartScreen)
    if list_name is not None:
        ids = {a.name: a.id for a in screen.audiences.values()}
        screen.query_one("#list", Select).value = ids[list_name]
    screen.query_one("#path", Input).value = str(path)
    screen.query_one("#path", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


def file_message(pilot: Pilot[None]) -> str:
    return str(pilot.app.screen.query_one("#file-message", Label).render())


async def confirm(pilot: Pilot[None]) -> ImportsScreen:
    await pilot.click("#confirm")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ImportsScreen)
    return pilot.app.screen


async def finished(pilot: Pilot[None], monitor: ImportsScreen) -> ImportJob:
    """The one import of this test, once the monitor shows it over."""
    await until(
        pilot, lambda: [j.state for j in monitor.jobs.values()] in ([ImportState.FINISHED],)
    )
    await settle(pilot)
    return next(iter(monitor.jobs.values()))


def audit_actions(session: Session) -> list[str]:
    return [event["action"] for event in session.audit.read()]


async def test_emma_import_maps_previews_refuses_then_follows_to_the_end(
    session: Session, files: Callable[..., Path]
) -> None:
    path = files("people.csv", EMMA_CSV)
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        monitor = await open_monitor(pilot, "demo-emma")
        assert "0 imports" in screen_text(app)
        await choose_file(pilot, "Monthly Newsletter", path)
        step = app.screen.query_one(MappingStep)
        chosen = [s.value for s in step.query(Select)]
        assert chosen == ["email", "first_name", "city", IGNORE]
        assert rows(step.query_one("#preview", DataTable)) == [
            ["ann.import@example.com", "Ann", "Oslo"],
            ["cy.import@example.com", "Cy", "—"],
        ]
        assert rows(step.query_one("#rejected", DataTable)) == [
            ["3", "'not-an-email' is not an email address"]
        ]
        assert str(step.query_one("#confirm", Button).label) == "Import 2 rows"
        assert "ignored columns: Shoe size" in screen_text(app)

        # Without an email column nothing can be sent; choosing it again brings the rows back.
        step.query_one("#map-0", Select).value = IGNORE
        await settle(pilot)
        assert step.query_one("#confirm", Button).disabled
        assert "no column holds the email" in screen_text(app)
        step.query_one("#map-0", Select).value = "email"
        await settle(pilot)
        assert not step.query_one("#confirm", Button).disabled
        assert audit_actions(session) == []  # nothing sent before the confirmation

        monitor = await confirm(pilot)
        job = await finished(pilot, monitor)
        assert (job.submitted, job.added, job.errors) == (2, 2, 0)
        shown = rows(monitor.query_one("#imports", DataTable))
        assert shown[0][1:3] == ["Monthly Newsletter", "finished"]
        # One count: the mapping step's refused row is the monitor's too.
        assert "Rows refused (1):" in screen_text(app) and "(not sent)" in screen_text(app)
        assert audit_actions(session) == ["import.attempt", "import.started"]
    found = await session.provider("demo-emma").lookup("cy.import@example.com")
    assert [m.fields.get("first_name") for m in found][:1] == ["Cy"]


async def test_placewise_import_in_two_bulks_shows_its_parts(
    session: Session, files: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(placewise_imports, "MAX_BULK", 10)  # Placewise's 1,000, made small
    lines = [f"pw{i}.import@example.com,Pia{i},{4790000000 + i}" for i in range(11)]
    lines[7] = "pw7.import@example.com,Pia7,call me"  # the platform refuses this number
    path = files("club.csv", "email,first_name,msisdn\n" + "\n".join(lines) + "\n")
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        monitor = await open_monitor(pilot, "demo-placewise")
        await choose_file(pilot, "City Lade", path)
        assert str(app.screen.query_one("#confirm", Button).label) == "Import 11 rows"
        monitor = await confirm(pilot)
        job = await finished(pilot, monitor)
        assert [(p.submitted, p.state) for p in job.parts] == [
            (10, ImportState.FINISHED),
            (1, ImportState.FINISHED),
        ]
        assert (job.added, job.errors) == (10, 1)
        assert [e.row for e in job.row_errors] == ["pw7.import@example.com"]
        text = screen_text(app)
        assert "Parts (2):" in text and "bulk 2" in text
        assert "status finished" not in text  # the state is said once, beside the part
        assert job.finished_at is not None  # the time the app saw it over (Placewise has none)
        assert "Rows refused (1):" in text and "pw7.import@example.com" in text
        assert "imports started from this app" in text

        # The session keeps it: leaving the monitor and coming back shows it again.
        await pilot.press("escape")
        monitor = await open_monitor(pilot, "demo-placewise")
        await until(pilot, lambda: job.id in monitor.jobs)


async def test_heyloyalty_untracked_import_says_what_the_platform_reports(
    session: Session, files: Callable[..., Path]
) -> None:
    path = files("dk.csv", "email,firstname\nhey1.import@example.com,Ida\nhey2@example.com,Bo\n")
    before = (await session.audience("demo-heyloyalty", "VIP Club")).member_count
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        monitor = await open_monitor(pilot, "demo-heyloyalty")
        assert "Heyloyalty has no import status endpoint" in screen_text(app)
        await choose_file(pilot, "VIP Club", path)
        monitor = await confirm(pilot)
        await until(
            pilot, lambda: any(j.state is ImportState.UNTRACKED for j in monitor.jobs.values())
        )
        entry = imports_screen.started_imports(session, "demo-heyloyalty")[0]
        await until(pilot, lambda: entry.count_now == before + 2)
        monitor.action_refresh()
        await settle(pilot)
        text = screen_text(app)
        assert "untracked" in text
        assert f"{before:,} before the import, {before + 2:,} now (+2)" in text
        assert "It cannot say which rows were added, updated or refused" in text
        said = "Heyloyalty has no import status endpoint"
        assert " ".join(text.split()).count(said) == 1  # above the table, not again below


async def test_ownpage_synchronous_import_shows_its_summary(
    session: Session, files: Callable[..., Path]
) -> None:
    path = files("fr.csv", "email\nown1.import@example.com\nown2.import@example.com\n")
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        monitor = await open_monitor(pilot, "demo-ownpage")
        assert "Ownpage imports synchronously" in screen_text(app)
        await choose_file(pilot, "Sport Hebdo", path)
        monitor = await confirm(pilot)
        job = await finished(pilot, monitor)
        assert (job.submitted, job.added) == (2, 2)
        assert "these are the counts it answered" in screen_text(app)


async def test_kajabi_says_it_has_no_bulk_import(session: Session) -> None:
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        monitor = await open_monitor(pilot, "demo-kajabi")
        assert "Kajabi has no bulk import" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is monitor
        assert monitor.polls == 0


async def test_bad_files_get_one_clear_message_and_keep_the_path(
    session: Session, files: Callable[..., Path]
) -> None:
    cases = [
        ("missing.csv", None, "cannot read"),
        ("empty.csv", "\n\n", "the file is empty"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not CSV text"),
        ("colons.csv", "email:name\nann@example.com:Ann\n", "no column holds the email"),
        ("names.csv", "name,city\nAnn,Oslo\n", "columns are: name, city"),
    ]
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await open_monitor(pilot, "demo-emma")
        await choose_file(pilot, None, "")
        assert "Choose the list" in file_message(pilot)
        start = app.screen
        assert isinstance(start, ImportStartScreen)
        start.query_one("#list", Select).value = (await session.audience("demo-emma", "Donors")).id
        for name, content, expected in cases:
            path = files(name, content) if content is not None else Path.cwd() / name
            start.query_one("#path", Input).value = str(path)
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is start and not start.query(MappingStep), name
            assert expected in file_message(pilot), (name, file_message(pilot))
            assert start.query_one("#path", Input).value == str(path)
            assert start.chosen() is not None and start.chosen().name == "Donors"
    assert audit_actions(session) == []


async def test_polls_never_overlap(session: Session, sandbox: Sandbox, monkeypatch) -> None:
    monkeypatch.setattr(imports_screen, "SLOW_POLL", 0.01)
    provider = session.provider("demo-emma")
    calls = {"now": 0, "most": 0, "total": 0}
    read = provider.imports

    async def counted() -> list[ImportJob]:
        calls["now"] += 1
        calls["total"] += 1
        calls["most"] = max(calls["most"], calls["now"])
        try:
            return await read()
        finally:
            calls["now"] -= 1

    monkeypatch.setattr(provider, "imports", counted)
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        monitor = await open_monitor(pilot, "demo-emma")
        sandbox.app.spec = FaultSpec(latency=0.15)
        for _ in range(6):  # r pressed faster than the platform answers
            await pilot.press("r")
            await pilot.pause(0.03)
        await until(pilot, lambda: calls["total"] >= 5)
        sandbox.app.spec = FaultSpec()
    assert calls["most"] == 1
    assert monitor.polls == calls["total"]


async def test_a_failed_start_is_recorded_shown_and_kept_for_another_try(
    session: Session, files: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = files(f"{HOSTILE[:20]}.csv".replace("/", "_"), EMMA_CSV)
    provider = session.provider("demo-emma")

    async def down(request: ImportRequest) -> ImportJob:
        raise NetworkError("the platform did not answer", platform="Emma")

    monkeypatch.setattr(provider, "start_import", down)
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await open_monitor(pilot, "demo-emma")
        await choose_file(pilot, "Donors", path)
        await confirm(pilot)
        assert "the platform did not answer" in screen_text(app)
        assert audit_actions(session) == ["import.attempt", "import.failed"]
        assert isinstance(app.screen, ImportsScreen)
        await pilot.press("n")
        await settle(pilot)
        start = app.screen
        assert isinstance(start, ImportStartScreen)
        assert start.query_one("#path", Input).value == str(path)
        assert start.chosen() is not None and start.chosen().name == "Donors"


async def test_hostile_columns_and_values_render_literally(
    session: Session, files: Callable[..., Path]
) -> None:
    path = files("odd.csv", f"email,{HOSTILE}\nodd@example.com,{HOSTILE}\n")
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        monitor = await open_monitor(pilot, "demo-emma")
        await choose_file(pilot, "Donors", path)
        text = screen_text(app)
        assert "[@click=app.quit]x[/]" in text
        assert "\x1b" not in text and "\x07" not in text
        assert isinstance(app.screen, ImportStartScreen)
        assert monitor.is_attached


async def test_monitor_is_on_the_accounts_screen_and_in_its_palette(session: Session) -> None:
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, AccountsScreen)
        ids = {b.binding.id for b in app.screen.active_bindings.values()}
        assert "accounts.imports" in ids
        monitor = await open_monitor(pilot, "demo-heyloyalty")
        assert monitor.account_name == "demo-heyloyalty"
        ids = {b.binding.id for b in monitor.active_bindings.values()}
        assert {"imports.back", "imports.refresh", "imports.new"} <= ids
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AccountsScreen)


async def test_a_preselected_list_and_a_file_picked_in_the_tree(
    session: Session, files: Callable[..., Path]
) -> None:
    files("people.csv", EMMA_CSV)
    files("notes.txt", "not offered")
    audience = await session.audience("demo-emma", "Volunteers")
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ImportsScreen(session, "demo-emma", audience=audience))
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        start = app.screen
        assert isinstance(start, ImportStartScreen)
        assert start.chosen() == audience
        tree = start.query_one(CsvTree)
        await until(pilot, lambda: bool(tree.root.children))
        assert [str(node.label) for node in tree.root.children] == ["people.csv"]
        tree.focus()
        await pilot.press("down", "enter")
        await settle(pilot)
        assert start.query_one("#path", Input).value == str(Path.cwd() / "people.csv")
        assert start.query(MappingStep)
        assert "fields of Volunteers" in screen_text(app)


def test_the_command_line_records_the_same_audit_events(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One audited start for both: `audience-tui import` writes attempt, then started."""
    path = tmp_path / "cli.csv"
    path.write_text(EMMA_CSV, encoding="utf-8")
    assert main(["--demo", "import", "demo-emma", "Donors", str(path), "--yes", "--no-wait"]) == 0
    events = list(AuditLog().read())
    assert [e["action"] for e in events] == ["import.attempt", "import.started"]
    assert events[1]["rows"] == 2 and events[1]["platform"] == "emma"
    assert "2 row(s) to import" in capsys.readouterr().out


async def test_an_account_without_its_secrets_says_so_and_the_app_goes_on(
    sandbox: Sandbox,
) -> None:
    def no_secrets(account: Account) -> dict[str, str]:
        raise ConfigError(f"no secrets stored for {account.name}")

    session = Session([Account("broken", "emma")], no_secrets)
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        monitor = await open_monitor(pilot, "broken")
        assert "no secrets stored for broken" in screen_text(app)
        await pilot.press("n", "r")
        await settle(pilot)
        assert app.screen is monitor and monitor.polls == 0


async def opted_out_of_vip(session: Session) -> Member:
    """A Heyloyalty VIP Club member opted out (and confirmed) before the import."""
    provider = session.provider("demo-heyloyalty")
    vip = await session.audience("demo-heyloyalty", "VIP Club")
    page = await provider.members(vip, Query(status=MemberStatus.ACTIVE), PageRequest(5))
    gone = page.members[0]
    assert (await session.opt_out("demo-heyloyalty", gone)).confirmed
    return gone


async def test_the_preview_keeps_out_who_opted_out_earlier(
    session: Session, files: Callable[..., Path]
) -> None:
    gone = await opted_out_of_vip(session)
    path = files("back.csv", f"email,firstname\n{gone.email},Back\nnew.face@example.com,New\n")
    app = AudienceApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await open_monitor(pilot, "demo-heyloyalty")
        await choose_file(pilot, "VIP Club", path)
        step = app.screen.query_one(MappingStep)
        assert "1 opted out earlier: kept out" in str(step.query_one("#summary", Label).render())
        assert str(step.query_one("#confirm", Button).label) == "Import 1 row"
        await confirm(pilot)
    started = imports_screen.started_imports(session, "demo-heyloyalty")[0]
    assert started.job.submitted == 1 and started.job.skipped == 1
