"""The Compliance screen: reached from the accounts screen (and the palette), each job from a
dry run, the erase confirmed by typing the email, the receipt shown and saved; a snapshot."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, ProgressBar
from tui_helpers import SIZE, settle
from variants import writes_faulted

from audience_tui.core.errors import AuthError, NetworkError
from audience_tui.core.models import Member, MemberStatus
from audience_tui.core.session import Session
from audience_tui.demo import FaultSpec, Sandbox, demo_session
from audience_tui.providers.emma.adapter import EmmaProvider
from audience_tui.sandbox.people import person
from audience_tui.tui.app import AudienceApp
from audience_tui.tui.screens.compliance import JOBS, ComplianceScreen, TypeToConfirm
from audience_tui.tui.widgets.data_table import DataTable


@pytest.fixture
def app_session(sandbox: Sandbox) -> Iterator[Session]:
    session = demo_session(sandbox)
    yield session
    asyncio.run(session.aclose())


def kajabi_email(sandbox: Sandbox) -> str:
    sql = "SELECT email FROM kajabi_contacts WHERE active_payments = 0 ORDER BY id LIMIT 1"
    return sandbox.store.connect().execute(sql).fetchone()[0]


async def open_compliance(pilot: Pilot[None]) -> ComplianceScreen:
    """The Compliance screen as a user reaches its first job's field: `x`, then `enter`."""
    await settle(pilot)
    await pilot.press("x")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ComplianceScreen)
    await pilot.press("enter")
    return screen


def state(screen: ComplianceScreen) -> str:
    return str(screen.query_one("#state", Label).render())


async def dry_run_of_file(pilot: Pilot[None], path: Path, *emails: str) -> ComplianceScreen:
    """The suppression job's dry run of a file of `emails` (written to `path`), done."""
    path.write_text("email\n" + "".join(f"{email}\n" for email in emails), encoding="utf-8")
    screen = await open_compliance(pilot)
    screen.query_one("#target", Input).value = str(path)
    await pilot.press("enter")
    await settle(pilot)
    return screen


async def drift_dry_run(
    pilot: Pilot[None], monkeypatch: pytest.MonkeyPatch, found: list[Any]
) -> ComplianceScreen:
    """The consent-drift job's dry run, its scan finding `found` (the scan is core's, tested
    there)."""
    from audience_tui.core.compliance import drift

    async def find(*args: object, **kw: object) -> list[Any]:
        return found

    monkeypatch.setattr(drift, "find", find)
    screen = await open_compliance(pilot)
    screen.query_one("#jobs", OptionList).highlighted = 3  # Consent drift
    await pilot.pause()
    await pilot.press("d")
    await settle(pilot)
    return screen


def table_rows(screen: ComplianceScreen) -> list[dict[str, str]]:
    """The results table's rows, each by its columns' keys."""
    table = screen.query_one("#results", DataTable)
    keys = [column.key.value for column in table.columns.values()]
    return [
        dict(zip(keys, map(str, table.get_row_at(n)), strict=True)) for n in range(table.row_count)
    ]


def refuse_emma_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Emma answers its lookups and refuses every opt-out as keys allowed to read only would
    be (HTTP 403; the CLI's tests meet the sandbox's own 403)."""

    async def refused(self: EmmaProvider, member: Member, **kw: object) -> Member:
        raise AuthError("HTTP 403: Emma refused the keys", platform="Emma")

    monkeypatch.setattr(EmmaProvider, "opt_out", refused)


EMMA_SUBSCRIBED = person(2000).email  # subscribed on the demo's Emma, in one group


@pytest.fixture
def emma_not_answering(monkeypatch: pytest.MonkeyPatch) -> None:
    """Emma's lookup fails (as one out of retries would): the account goes unsearched."""

    async def no_answer(self: EmmaProvider, email: str) -> list[Member]:
        raise NetworkError("no answer", platform="Emma")

    monkeypatch.setattr(EmmaProvider, "lookup", no_answer)


async def test_the_screen_opens_on_the_jobs_and_the_arrows_choose_one(
    app_session: Session,
) -> None:
    """As its help says: the arrows pick a job on the left, `enter` moves on to its field."""
    app = AudienceApp(app_session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ComplianceScreen)
        assert app.focused is screen.query_one("#jobs", OptionList)
        await pilot.press("down", "down")  # Subject access
        assert screen.job == "access"
        await pilot.press("enter")
        target = screen.query_one("#target", Input)
        assert app.focused is target and target.placeholder == "email of the person"


async def test_erase_from_dry_run_to_receipt(app_session: Session, sandbox: Sandbox) -> None:
    email = kajabi_email(sandbox)
    app = AudienceApp(app_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compliance(pilot)
        screen.query_one("#jobs", OptionList).highlighted = 1  # Erase a person
        await pilot.pause()
        target = screen.query_one("#target", Input)
        target.value = email
        await pilot.press("enter")
        await settle(pilot)
        table = screen.query_one("#results", DataTable)
        assert table.row_count >= 1 and "record(s) found" in state(screen)
        assert not screen.query_one("#run", Button).disabled
        screen.action_run()
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, TypeToConfirm)
        confirm.query_one("#typed", Input).value = "someone.else@example.com"
        await pilot.pause()
        assert confirm.query_one("#yes", Button).disabled
        confirm.query_one("#typed", Input).value = email.upper()
        await pilot.pause()
        await pilot.click("#yes")
        await settle(pilot)
        assert app.screen is screen
        assert "Saved:" in state(screen)
        saved = Path(state(screen).split("Saved: ", 1)[1].strip())
        assert saved.exists() and saved.with_suffix(".csv").exists()
        assert all(r.members == [] for r in await app_session.lookup(email))


async def test_escape_goes_back_when_nothing_runs(app_session: Session) -> None:
    app = AudienceApp(app_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compliance(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen


async def test_a_bad_file_is_said_not_crashed_on(app_session: Session, tmp_path: Path) -> None:
    app = AudienceApp(app_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compliance(pilot)
        screen.query_one("#target", Input).value = str(tmp_path / "missing.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert "cannot read" in state(screen)
        assert screen.query_one("#run", Button).disabled


def test_snapshot_of_the_screen(snap_compare: Callable[..., bool], app_session: Session) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await open_compliance(pilot)
        pilot.app.screen.query_one("#target", Input).cursor_blink = False
        await settle(pilot)

    app = AudienceApp(app_session)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_escape_stops_a_running_job_and_stays(app_session: Session, sandbox: Sandbox) -> None:
    app = AudienceApp(app_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compliance(pilot)
        sandbox.app.spec = FaultSpec(latency=0.2)  # every read slow: the job is still running
        screen.query_one("#jobs", OptionList).highlighted = 3  # Consent drift
        await pilot.pause()
        screen.action_dry_run()
        await pilot.pause()
        assert screen.running
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and not screen.running
        assert "stopped" in state(screen)
        await app.workers.wait_for_complete()
        assert not any(w.is_running for w in app.workers if w.node is screen)


async def test_a_suppression_by_keys_alone_names_the_lists(
    app_session: Session, tmp_path: Path
) -> None:
    """Type the file, enter (dry run), r (run): `r` runs rather than landing in the field, and
    the receipt on screen names the lists; a changed file asks for a new dry run first."""
    source = tmp_path / "list.csv"
    names = {a.name for acc in app_session.accounts for a in await app_session.audiences(acc.name)}
    app = AudienceApp(app_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await dry_run_of_file(pilot, source, person(0).email, person(1).email)
        target = screen.query_one("#target", Input)
        run = screen.query_one("#run", Button)
        assert not run.disabled and screen.focused is run, state(screen)

        target.value = str(source) + "x"  # another file: the dry run no longer holds
        await pilot.pause()
        assert run.disabled and "dry run again" in state(screen)
        target.value = str(source)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.focused is run

        await pilot.press("r")
        await settle(pilot)
        assert target.value == str(source)
        assert "Saved:" in state(screen), state(screen)
        table = screen.query_one("#results", DataTable)
        keys = [column.key.value for column in table.columns.values()]
        assert "request" not in keys and "list" in keys
        column = keys.index("list")
        lists = {str(table.get_cell_at((row, column))) for row in range(table.row_count)}
        lists -= {"", "—"}  # not found: no list
        assert lists and lists <= names, lists


async def opted_out_somewhere(session: Session) -> str:
    """The first demo person opted out of some list (and so shown with that status)."""
    for index in range(200):
        email = person(index).email
        found = await session.lookup(email)
        if any(m.status is MemberStatus.OPTED_OUT for f in found for m in f.members):
            return email
    raise AssertionError("no demo person is opted out anywhere")


async def test_a_suppression_dry_run_names_the_lines_left_out_and_says_statuses_in_words(
    app_session: Session, tmp_path: Path
) -> None:
    """The CLI names a file's lines without an email; the screen dropped them unsaid, so a
    request on line 3 was silently not honoured. And its table said `opted_out`."""
    email = await opted_out_somewhere(app_session)
    app = AudienceApp(app_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await dry_run_of_file(pilot, tmp_path / "list.csv", email, "not-an-email")
        said = state(screen)
        assert said.startswith("list.csv: 1 email(s), 1 line(s) without a valid email"), said
        assert "(line 3: not an email address: 'not-an-email')" in said
        table = screen.query_one("#results", DataTable)
        cells = [str(c) for row in range(table.row_count) for c in table.get_row_at(row)]
        assert "opted out" in cells and not any("_" in c for c in cells if "@" not in c), cells


async def test_a_dry_run_without_a_file_asks_for_one(app_session: Session) -> None:
    app = AudienceApp(app_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compliance(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert state(screen).startswith("First give the path of the CSV file"), state(screen)
        assert screen.focused is screen.query_one("#target", Input)


async def test_the_drift_dry_run_says_how_many_drifted(
    app_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """d on Consent drift: the drifted people in the table, their count and the opt-outs the
    run would send in the message (the scan itself is core's, tested there)."""
    from audience_tui.core.compliance import drift

    place = drift.Place("demo-emma", "all", "All members")
    found = [drift.Drifted(person(0).email, opted_out_on=[place])]
    app = AudienceApp(app_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await drift_dry_run(pilot, monkeypatch, found)
        assert state(screen).startswith("1 drifted email(s). "), state(screen)
        assert "opt-out(s) to send" in state(screen)
        assert screen.query_one("#results", DataTable).row_count == 1


async def test_subject_access_shows_where_imports_are_known(app_session: Session) -> None:
    app = AudienceApp(app_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compliance(pilot)
        screen.query_one("#jobs", OptionList).highlighted = 2  # Subject access
        await pilot.pause()
        screen.query_one("#target", Input).value = person(1).email
        await pilot.press("enter")
        await settle(pilot)
        table = screen.query_one("#results", DataTable)
        keys = [column.key.value for column in table.columns.values()]
        rows = [
            [str(table.get_cell_at((row, col))) for col in range(len(keys))]
            for row in range(table.row_count)
        ]
        imports = {row[0]: row[keys.index("imports")] for row in rows}
        assert imports["demo-heyloyalty"] == "none"  # its `imported` flag says no
        assert imports["demo-kajabi"] == "not reported by Kajabi"

        await pilot.press("r")  # the report saved: one person's data, readable by the user only
        await settle(pilot)
        paths = state(screen).split("Saved: ", 1)[1].replace("\n", "").split(" and ")
        saved = [Path(path.strip()) for path in paths]
        assert [p.suffix for p in saved] == [".json", ".html"], saved
        assert all(p.stat().st_mode & 0o777 == 0o600 for p in saved), saved
        assert [  # the records found stay on screen, beside where their report went
            [str(table.get_cell_at((row, col))) for col in range(len(keys))]
            for row in range(table.row_count)
        ] == rows


async def test_every_jobs_field_says_what_it_wants_whole_at_80_columns(
    app_session: Session,
) -> None:
    app = AudienceApp(app_session)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_compliance(pilot)
        target = screen.query_one("#target", Input)
        for key, job in JOBS.items():
            screen.query_one("#jobs", OptionList).highlighted = list(JOBS).index(key)
            await pilot.pause()
            assert screen.job == key
            if job.asks:
                assert target.placeholder == job.asks
                assert len(job.asks) <= target.content_size.width  # not cut at its edge


@pytest.mark.usefixtures("emma_not_answering")
async def test_a_suppression_run_counts_the_accounts_it_could_not_search(
    app_session: Session, tmp_path: Path
) -> None:
    """An account whose lookup failed is one of the run's outcomes, as in the CLI's receipt:
    a `not searched` row saying why, counted among the failed (running again retries it)."""
    app = AudienceApp(app_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await dry_run_of_file(pilot, tmp_path / "list.csv", person(0).email)
        assert screen.focused is screen.query_one("#run", Button), state(screen)
        assert "1 lookup(s) failed: not searched (see the table). r: run" in state(screen)
        await pilot.press("r")
        await settle(pilot)
        assert state(screen).startswith("done, 1 failed. Saved:"), state(screen)
        (emma,) = [row for row in table_rows(screen) if row["account"] == "demo-emma"]
        assert emma["action"] == "not searched" and "no answer" in emma["proof"], emma


@pytest.mark.usefixtures("emma_not_answering")
async def test_nothing_to_send_says_which_accounts_were_not_searched(
    app_session: Session, tmp_path: Path
) -> None:
    """Found on no account searched is not "found nowhere" while a lookup failed: the dry run
    says how many lookups failed and how to try again, not only that nothing is to send."""
    app = AudienceApp(app_session)
    async with app.run_test(size=SIZE) as pilot:
        nobody = "nobody.anywhere@example.invalid"
        screen = await dry_run_of_file(pilot, tmp_path / "list.csv", nobody)
        assert state(screen) == (
            "Nothing to send: no one found is still subscribed. 1 not found on any account "
            "searched. 1 lookup(s) failed: not searched (see the table). d: try again, "
            "r: save the receipt"
        ), state(screen)
        await pilot.press("r")  # the receipt answers the request, as the CLI's --yes writes it
        await settle(pilot)
        assert state(screen).startswith("done, 1 failed. Saved:"), state(screen)
        saved = Path(state(screen).split("Saved: ", 1)[1])
        lines = [json.loads(line) for line in saved.read_text().splitlines()]
        actions = {ln["account"]: ln["action"] for ln in lines if "account" in ln}
        assert actions["demo-emma"] == "not searched"
        assert set(actions.values()) == {"not found", "not searched"}
        assert len(actions) == len(app_session.accounts)


async def test_an_erasure_held_nowhere_still_saves_its_receipt(
    app_session: Session, tmp_path: Path
) -> None:
    """Found on no account: nothing to erase and no email to type, but the receipt that says
    every account was searched is saved (`erase --yes` writes it too)."""
    app = AudienceApp(app_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compliance(pilot)
        screen.query_one("#jobs", OptionList).highlighted = 1  # Erase
        await pilot.pause()
        screen.query_one("#target", Input).value = "nobody.anywhere@example.invalid"
        await pilot.press("enter")
        await settle(pilot)
        assert state(screen).endswith("Nothing to erase. r: save the receipt"), state(screen)
        await pilot.press("r")
        await settle(pilot)
        assert not isinstance(app.screen, ModalScreen)  # no email to type: nothing is erased
        assert state(screen).startswith("done. Saved:"), state(screen)
        assert screen.query_one("#progress", ProgressBar).percentage == 1  # no work: all done
        saved = Path(state(screen).split("Saved: ", 1)[1])
        lines = [json.loads(line) for line in saved.read_text().splitlines()]
        found = {ln["account"]: ln["action"] for ln in lines if "account" in ln}
        assert len(found) == len(app_session.accounts) and set(found.values()) == {"not found"}


async def test_no_drift_is_no_run(app_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """No one drifted: nothing to record either, as `drift --apply` finding none."""
    app = AudienceApp(app_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await drift_dry_run(pilot, monkeypatch, [])
        assert state(screen) == "0 drifted email(s): nothing to send.", state(screen)
        assert screen.query_one("#run", Button).disabled


async def test_a_write_refused_with_the_credentials_names_the_account(
    app_session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the CLI (which exits 3): an opt-out refused the credentials is a failed row with why,
    counted among the failed, and the account whose credentials to fix is named."""
    refuse_emma_writes(monkeypatch)
    app = AudienceApp(app_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await dry_run_of_file(pilot, tmp_path / "list.csv", EMMA_SUBSCRIBED)
        await pilot.press("r")
        await settle(pilot)
        said = "done, 1 failed (demo-emma refused the credentials: fix them, then run again). "
        assert state(screen).startswith(said + "Saved:"), state(screen)
        (emma,) = [row for row in table_rows(screen) if row["account"] == "demo-emma"]
        assert emma["action"] == "failed" and "Emma refused the keys" in emma["proof"], emma


async def test_a_later_run_says_what_it_found_where_a_write_had_failed(
    app_session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the CLI's receipt: run 1's opt-out on Emma failed; once the person is gone from Emma,
    run 2 (resumed from the journal) says `not found` there, and nothing failed."""
    source = tmp_path / "list.csv"
    app = AudienceApp(app_session)
    async with app.run_test(size=SIZE) as pilot:
        with monkeypatch.context() as refusing:
            refuse_emma_writes(refusing)
            screen = await dry_run_of_file(pilot, source, EMMA_SUBSCRIBED)
            await pilot.press("r")
            await settle(pilot)
        assert state(screen).startswith("done, 1 failed"), state(screen)
        (found,) = await app_session.lookup(EMMA_SUBSCRIBED, ["demo-emma"])
        await app_session.provider("demo-emma").erase(found.members[0])

        await pilot.press("escape")
        screen = await dry_run_of_file(pilot, source, EMMA_SUBSCRIBED)
        await pilot.press("r")
        await settle(pilot)
        assert state(screen).startswith("done. Saved:"), state(screen)
        emma = {
            row["list"]: row["action"]
            for row in table_rows(screen)
            if row["account"] == "demo-emma"
        }
        assert len(emma) == 2 and set(emma.values()) == {"not found"}, emma  # the account, the list


async def test_a_write_read_back_not_applied_is_counted_failed_and_sent_by_the_next_run(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """As the CLI's receipt: run 1's opt-out on Emma has its connection dropped before Emma
    acts, and reads back not applied: a failed row with why, counted among the failed, never
    `sent`. Run 2 sends it, and the row says `sent`."""
    faulted = writes_faulted(sandbox, FaultSpec(drop=1.0))
    session = demo_session(faulted)
    source = tmp_path / "list.csv"
    app = AudienceApp(session)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await dry_run_of_file(pilot, source, EMMA_SUBSCRIBED)
            await pilot.press("r")
            await settle(pilot)
            assert state(screen).startswith("done, 1 failed. Saved:"), state(screen)
            (emma,) = [row for row in table_rows(screen) if row["account"] == "demo-emma"]
            assert emma["action"] == "failed", emma
            assert "read back: not applied" in emma["proof"], emma

            faulted.app.spec = FaultSpec()
            await pilot.press("escape")
            screen = await dry_run_of_file(pilot, source, EMMA_SUBSCRIBED)
            assert state(screen).startswith("1 opt-out(s) to send"), state(screen)
            await pilot.press("r")
            await settle(pilot)
            assert state(screen).startswith("done. Saved:"), state(screen)
            (emma,) = [row for row in table_rows(screen) if row["account"] == "demo-emma"]
            assert emma["action"] == "sent", emma
    finally:
        await session.aclose()
