"""The Compliance screen (`x` on the accounts screen, or the palette): the four jobs that span every
account: a suppression list, erasure, subject access and consent drift.

Each job starts from a dry run (reads only) shown in the table; `r` (Run) then does it, with a
progress bar, and the receipt (or report) is saved and its path shown. `escape` stops a running job
(a suppression run resumes from its journal the next time) and, when nothing runs, goes back.
The work is core.compliance's, as the CLI's; this screen only shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, OptionList, ProgressBar
from textual.widgets.option_list import Option

from ...core.compliance import WriteError, drift, refused, subject_access
from ...core.compliance import erase as erasure
from ...core.compliance import suppress as suppression
from ...core.compliance.emails_csv import read_emails
from ...core.compliance.journal import Journal, compliance_dir, now, run_key
from ...core.compliance.receipt import (
    default_path,
    in_words,
    readable,
    summary,
    undone,
    write_receipt,
)
from ...core.errors import AudienceError
from ...core.private_files import open_private
from ...core.sanitize import clean
from ...core.session import Session
from ..background import BackgroundWork
from ..styled_once import StyledOnce
from ..widgets.cells import error_text, text
from ..widgets.data_table import DataTable
from ..widgets.footer import Footer
from ..widgets.header import Header

MAX_PROBLEMS_SAID = 3  # lines of a suppression file without an email, named on the state line


@dataclass(frozen=True, slots=True)
class Job:
    title: str
    about: str
    asks: str  # what the input holds ("" when the job needs none)


JOBS: dict[str, Job] = {
    "suppress": Job(
        "Suppression list",
        "Opt every email of a CSV file (an email column, or one column of emails) out on every "
        "account. Resumable: a stopped run goes on where it stopped and never sends a write twice.",
        "path of the CSV file",
    ),
    "erase": Job(
        "Erase a person",
        "Each platform's own erase (right to be forgotten), proven by read-back. Irreversible: "
        "you type the email again to confirm.",
        "email of the person to erase",
    ),
    "access": Job(
        "Subject access",
        "Everything every account holds on one person, saved as JSON and HTML.",
        "email of the person",
    ),
    "drift": Job(
        "Consent drift",
        "People opted out on one platform or list and still subscribed on another; Run opts "
        "them out there through a suppression run.",
        "",
    ),
}


class TypeToConfirm(StyledOnce, ModalScreen[bool]):
    """An irreversible job's confirmation: the email typed again."""

    HELP = (
        "An erase cannot be undone: type the person's email again to enable **Erase**. "
        "`escape` or Cancel erases nothing."
    )
    ASKS = True  # answered only by keys typed while it shows (type_ahead.py)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(False)", "Cancel", id="compliance.confirm.cancel")
    ]

    def __init__(self, email: str, question: str) -> None:
        super().__init__()
        self.email = email
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(self.question), id="heading")
            yield Input(placeholder="type the email", id="typed")
            with Horizontal(id="buttons"):
                yield Button("Erase", variant="error", id="yes", disabled=True)
                yield Button("Cancel", id="no")

    @on(Input.Changed, "#typed")
    def _typed(self, event: Input.Changed) -> None:
        match = event.value.strip().casefold() == self.email.casefold()
        self.query_one("#yes", Button).disabled = not match

    @on(Input.Submitted, "#typed")
    def _submitted(self) -> None:
        if not self.query_one("#yes", Button).disabled:
            self.dismiss(True)

    @on(Button.Pressed)
    def _answer(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class ComplianceScreen(StyledOnce, BackgroundWork, Screen[None]):
    TITLE = "Compliance"
    HELP = (
        "Jobs across every account at once. Pick a job on the left (`enter` moves on to its "
        "field), give its file or email and press `enter` for the dry run (`d` where the job "
        "needs no field): nothing is sent, the table shows what was found and what would be "
        "done, and the focus moves to Run. `r` (or `enter` there) then does it, with progress; "
        "the receipt (JSON Lines and CSV) or report is saved and its path shown. Changing the "
        "file or email asks for a new dry run. `escape` stops a running job (a suppression run "
        "resumes from its journal when run again) and otherwise goes back."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop_or_back", "Stop / back", id="compliance.back"),
        Binding("d", "dry_run", "Dry run", id="compliance.dry_run"),
        Binding("r", "run", "Run", id="compliance.run"),
    ]
    DEFAULT_CSS = """
    ComplianceScreen #jobs { width: 26; height: 100%; }
    ComplianceScreen #work { padding: 0 1; }
    ComplianceScreen #about { width: 100%; height: auto; margin-bottom: 1; }
    ComplianceScreen #target { margin-bottom: 1; }
    ComplianceScreen #actions { height: auto; }
    ComplianceScreen #actions Button { margin-right: 2; }
    ComplianceScreen #progress { margin: 1 0; }
    ComplianceScreen #state { width: 100%; height: auto; }
    """

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.job = "suppress"
        self.planned: Any = None  # the dry run's result, what Run does
        self.running = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield OptionList(*(Option(job.title, id=key) for key, job in JOBS.items()), id="jobs")
            with Vertical(id="work"):
                yield Label(id="about")
                yield Input(id="target")
                with Horizontal(id="actions"):
                    yield Button("Dry run", id="dry", variant="primary")
                    yield Button("Run", id="run", variant="error", disabled=True)
                yield ProgressBar(id="progress", show_eta=False)
                yield Label(id="state")
                yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """On the jobs, as the help says: the arrows choose one and `enter` moves on to it (a
        first look had the file field focused, where the arrows did nothing)."""
        self._choose("suppress")
        jobs = self.query_one("#jobs", OptionList)
        jobs.highlighted = 0
        jobs.focus()

    # --- choosing a job -------------------------------------------------------------------------
    @on(OptionList.OptionHighlighted, "#jobs")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != self.job and not self.running:
            self._choose(event.option.id)

    def _choose(self, key: str) -> None:
        self.job, self.planned = key, None
        job = JOBS[key]
        self.query_one("#about", Label).update(Text(job.about))
        target = self.query_one("#target", Input)
        target.display = bool(job.asks)
        target.placeholder = job.asks
        self.query_one("#run", Button).disabled = True
        self.query_one("#progress", ProgressBar).display = False
        self._say(Text(f"{self._dry_key()}: dry run (nothing is sent)", style="dim"))
        self._table([])

    def _dry_key(self) -> str:
        """The key that starts the job's dry run: in its file or email field, enter (a `d`
        would be typed into the field); for a job without one, `d`."""
        return "enter" if JOBS[self.job].asks else "d"

    @on(OptionList.OptionSelected, "#jobs")
    def _selected(self) -> None:
        """enter on a job: on to its field, or its dry run when it needs none."""
        if JOBS[self.job].asks:
            self.query_one("#target", Input).focus()
        else:
            self.action_dry_run()

    @on(Input.Changed, "#target")
    def _target_changed(self) -> None:
        """A new file or email: the last dry run no longer says what Run would do."""
        if self.planned is not None and not self.running:
            self.planned = None
            self.query_one("#run", Button).disabled = True
            self._say(Text(f"Changed. {self._dry_key()}: dry run again", style="dim"))

    # --- the table and the state line -------------------------------------------------------------
    def _say(self, message: Text) -> None:
        self.query_one("#state", Label).update(message)

    def _table(self, rows: list[dict[str, Any]]) -> None:
        table = self.query_one("#results", DataTable)
        table.clear(columns=True)
        if not rows:
            return
        for column in rows[0]:
            table.add_column(column.replace("_", " ").capitalize(), key=column)
        for row in in_words(rows):
            table.add_row(*(text("" if v is None else v) for v in row.values()))

    def _progress(self, p: suppression.Progress) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.display = True
        bar.update(total=max(p.total, 1), progress=p.done if p.total else 1)  # none: all done
        self._say(Text(f"{p.stage}: {p.done:,} of {p.total:,}"))

    # --- actions ----------------------------------------------------------------------------------
    @on(Button.Pressed, "#dry")
    def action_dry_run(self) -> None:
        if self.running:
            return
        target = self.query_one("#target", Input)
        job = JOBS[self.job]
        if job.asks and not target.value.strip():
            target.focus()
            self._say(Text(f"First give the {job.asks}.", style="yellow"))
            return
        self._dry_run(self.job, target.value.strip())

    @on(Input.Submitted, "#target")
    def _submitted(self) -> None:
        self.action_dry_run()

    @on(Button.Pressed, "#run")
    def action_run(self) -> None:
        if self.running or self.planned is None:
            return
        if self.job == "erase" and self.planned.held:
            email = self.planned.email
            question = (
                f"Erase {email} on {len(self.planned.held)} record(s)? This cannot be undone."
            )
            self.app.push_screen(
                TypeToConfirm(email, question),
                lambda yes: self._run(self.job) if yes else None,  # type: ignore[arg-type]
            )
        else:
            self._run(self.job)

    def action_stop_or_back(self) -> None:
        if self.running:
            self.workers.cancel_group(self, "compliance")
            self.running = False
            stop = "stopped. A suppression run resumes from its journal when run again."
            self._say(Text(stop, style="yellow"))
        else:
            self.app.pop_screen()

    # --- the work ---------------------------------------------------------------------------------
    @work(group="compliance", exclusive=True)
    async def _dry_run(self, job: str, target: str) -> None:
        self.running = True
        self.query_one("#run", Button).disabled = True
        try:
            rows, message = await self._plan(job, target)
        except (AudienceError, OSError) as exc:
            self._say(error_text(exc))
            return
        finally:
            self.running = False
        self._table(rows)
        self._say(message)
        run = self.query_one("#run", Button)
        run.disabled = self.planned is None
        if not run.disabled:
            run.focus()  # so `r` (or enter) runs it rather than being typed into the field

    async def _plan(self, job: str, target: str) -> tuple[list[dict[str, Any]], Text]:
        accounts = [a.name for a in self.session.accounts]
        if job == "suppress":
            emails = read_emails(Path(target))
            rows, message = await self._plan_suppression("suppress", emails.emails, accounts)
            if not emails.problems:
                return rows, message
            # the lines left out are said before anything is sent, as the CLI does
            skipped = "; ".join(emails.problem_lines(MAX_PROBLEMS_SAID))
            said = Text(f"{clean(Path(target).name)}: {emails.summary()} ({skipped}). ", "yellow")
            return rows, said + message
        if job == "erase":
            todo = await erasure.plan(self.session, target)
            self.planned = todo  # held nowhere, the receipt still answers the request (as the CLI)
            rows = todo.rows()
            note = f"{len(todo.held)} record(s) found; not on: {', '.join(todo.not_found) or '-'}"
            if not todo.held:
                return rows, Text(f"{note}. Nothing to erase. r: save the receipt")
            return rows, Text(f"{note}. r: erase (you type the email to confirm)")
        if job == "access":
            report = await subject_access.gather(self.session, target)
            self.planned = report
            rows = access_rows(report)
            return rows, Text(f"{len(report.held)} record(s). r: save the report (JSON and HTML)")
        drifted = await drift.find(self.session, accounts, self._progress)
        if not drifted:  # no run to record, as `drift --apply` finding none
            self.planned = None
            return [], Text("0 drifted email(s): nothing to send.")
        rows_found = [d.row() for d in drifted]
        rows, message = await self._plan_suppression("drift", [d.email for d in drifted], accounts)
        return rows_found or rows, Text(f"{len(drifted):,} drifted email(s). ") + message

    async def _plan_suppression(
        self, kind: str, emails: list[str], accounts: list[str]
    ) -> tuple[list[dict[str, Any]], Text]:
        request = run_key(kind, emails, accounts)
        journal = Journal.for_run(request)
        todo = await suppression.plan(
            self.session, request, emails, accounts, journal, self._progress
        )
        self.planned = (kind, todo, journal)  # nothing to send: run saves the receipt (as the CLI)
        resumed = f" ({todo.done_before} done by an earlier run)" if todo.done_before else ""
        failed = len(todo.unsearched)
        where = "any account searched" if failed else "any account"  # elsewhere, maybe
        nowhere = f" {len(todo.nowhere)} not found on {where}." if todo.nowhere else ""
        unsearched = f" {failed} lookup(s) failed: not searched (see the table)." if failed else ""
        if not todo.targets:
            message = (
                f"Nothing to send: no one found is still subscribed{resumed}.{nowhere}{unsearched}"
            )
            retry = " d: try again," if failed else ""
            return todo.rows(), Text(f"{message}{retry} r: save the receipt")
        sends = f"{len(todo.targets)} opt-out(s) to send{resumed}.{nowhere}{unsearched} r: run"
        return todo.rows(), Text(sends)

    @work(group="compliance", exclusive=True)
    async def _run(self, job: str) -> None:
        self.running = True
        self.query_one("#run", Button).disabled = True
        try:
            lines, saved, write_errors = await self._execute(job)
        except AudienceError as exc:
            self._say(error_text(exc))
            return
        finally:
            self.running = False
        self.planned = None
        self._table(lines)
        failed = undone(lines)
        style = "red" if failed else "green"
        names = ", ".join(refused(write_errors))  # as the CLI says them: fix, then run again
        fix = f" ({names} refused the credentials: fix them, then run again)" if names else ""
        done = f"done{f', {failed} failed' if failed else ''}{fix}. Saved: {saved}"
        self._say(Text(done, style=style))
        self.notify(f"Saved: {saved}", title=JOBS[job].title, markup=False)

    async def _execute(self, job: str) -> tuple[list[dict[str, Any]], str, list[WriteError]]:
        """Run the planned job and save its receipt (or report): its rows, where it was saved,
        and the errors of its writes that failed."""
        if job == "erase":
            todo = self.planned
            lines = await erasure.execute(self.session, todo, self._progress)
            details = {"kind": "erase", "email": todo.email, "accounts": todo.accounts}
            path, _ = write_receipt(
                default_path("erase"), lines, summary(todo.request, lines, **details)
            )
            return readable(lines, todo.names), str(path), todo.write_errors
        if job == "access":
            report = self.planned
            stamp = now().replace(":", "")
            folder = compliance_dir() / "reports"
            folder.mkdir(parents=True, exist_ok=True)
            paths = {fmt: folder / f"access-{stamp}.{fmt}" for fmt in ("json", "html")}
            for fmt, path in paths.items():
                with open_private(path) as file:
                    file.write(subject_access.render(report, fmt))
            saved = " and ".join(map(str, paths.values()))
            return access_rows(report), saved, []  # the records stay on screen
        kind, todo, journal = self.planned
        await suppression.execute(self.session, todo, journal, self._progress)
        lines = suppression.receipt_lines(todo, journal)
        extra = {"kind": kind, "accounts": todo.accounts, "started": journal.started}
        path, _ = write_receipt(default_path(kind), lines, summary(todo.request, lines, **extra))
        return readable(lines, todo.names), str(path), todo.write_errors


def access_rows(report: subject_access.Report) -> list[dict[str, Any]]:
    """The subject access report's records as the screen's table shows them."""
    return [
        {
            "account": held.account,
            "list": held.audience.name or held.audience.id,
            "status": str(held.member.status),
            "fields": len(held.fields),
            "imports": held.imports.note or len(held.imports.lines) or "none",
        }
        for held in report.held
    ]
