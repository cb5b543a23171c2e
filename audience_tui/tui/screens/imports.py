"""The import monitor (`i`): an account's imports with their state and counts, kept up to date.

Polls never overlap: the next one is scheduled only when the previous one has finished (often
while something runs, rarely otherwise); `r` polls at once. Platforms that cannot list imports
say so in their own words, and the imports started in this session are still shown with what the
platform did report (Ownpage's synchronous summary, Heyloyalty's list member count).
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Label, Static

from ...core.errors import UnsupportedError
from ...core.importer import (
    FINAL,
    StartedImport,
    follow,
    observe_jobs,
    see_through,
    start_import,
    started_imports,
    watching,
)
from ...core.models import Audience, ImportJob, ImportKind
from ...core.provider import Provider
from ...core.sanitize import one_line
from ...core.session import Session
from ..background import BackgroundWork
from ..styled_once import StyledOnce
from ..widgets.cells import count_text, error_text, platform_title, text
from ..widgets.data_table import DataTable
from ..widgets.footer import Footer
from ..widgets.header import Header
from .import_start import ImportDraft, ImportStartScreen
from .import_view import job_detail, state_text, when, zone

FAST_POLL = 2.0  # seconds between polls while an import runs
SLOW_POLL = 30.0  # ... and while nothing does
COUNTS = ("submitted", "added", "updated", "skipped", "errors")


class ImportsScreen(StyledOnce, BackgroundWork, Screen[None]):
    TITLE = "Imports"
    HELP = (
        "The account's imports: state, rows sent, added, updated, skipped and refused, with "
        "times. The list refreshes by itself (every few seconds while an import runs, without "
        "overlapping requests); `r` refreshes now. Move to an import to see its parts (Placewise "
        "bulks) and the rows the platform refused. `n` starts an import from a CSV file: nothing "
        "is sent before you confirm. Where a platform cannot report on imports this screen says "
        "so and shows what it does report."
    )
    CSS = """
    ImportsScreen #imports { height: auto; max-height: 50%; }
    ImportsScreen #job { height: 1fr; border-top: solid $panel; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="imports.back"),
        Binding("r", "refresh", "Refresh now", id="imports.refresh"),
        Binding("n", "new", "New import", id="imports.new"),
    ]

    def __init__(
        self, session: Session, account_name: str, *, audience: Audience | None = None
    ) -> None:
        super().__init__()
        self.session = session
        self.account_name = account_name
        self.audience = audience  # preselected for a new import
        self.provider: Provider  # set on mount, when the account's adapter can be made
        self.kind: ImportKind = "none"
        self.jobs: dict[str, ImportJob] = {}  # by id, as last read
        self.details: dict[str, ImportJob] = {}  # import_status answers (row errors, parts)
        self.names: dict[str, str] = {}  # list id -> name
        self.platform_says = ""  # the platform's sentence when it cannot list imports
        self.polls = 0
        self.followed: str | None = None  # the import started here, selected and followed
        self.draft: ImportDraft | None = None  # kept when sending fails, for another try
        self._timer: Timer | None = None
        self._polling = False
        self._again = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(id="message")
        yield DataTable(id="imports", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="job"):
            yield Static(id="job-detail")
        yield Footer()

    def on_mount(self) -> None:
        account = self.session.account(self.account_name)
        self.sub_title = f"{account.name} ({platform_title(account.platform)})"
        table = self.query_one("#imports", DataTable)
        for key, label in (
            ("id", "Import"),
            ("list", "List"),
            ("state", "State"),
            ("started", f"Started ({zone()})"),
            ("finished", f"Finished ({zone()})"),
        ):
            table.add_column(label, key=key)
        for key in COUNTS:
            table.add_column("Sent" if key == "submitted" else key.capitalize(), key=key)
        table.focus()
        try:
            self.provider = self.session.provider(self.account_name)
        except Exception as exc:  # e.g. its secrets are missing: said here, the app goes on
            self._say(error_text(exc))
            self.query_one("#job").display = False
            return
        self.kind = self.provider.capabilities.imports
        self.refresh_bindings()
        if self.kind == "none":
            self._say(
                Text(
                    f"{self.provider.title} has no bulk import: there is nothing to start or "
                ).append("follow here. Members are added one at a time on the platform.")
            )
            self.query_one("#job").display = False
            return
        self._say(Text("Loading imports…", style="dim"))
        self.action_refresh()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Where the platform has no bulk import, `n` and `r` are not offered at all."""
        return not (action in ("new", "refresh") and self.kind == "none")

    def _say(self, message: Text) -> None:
        self.query_one("#message", Label).update(message)

    # --- polling ------------------------------------------------------------------------------
    def action_refresh(self) -> None:
        """Poll now, or right after the poll in flight (never two at once)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._polling:
            self._again = True
            return
        if not self._alive():
            return
        self._polling = True
        self._poll()

    @work(group="imports-poll")
    async def _poll(self) -> None:
        self.polls += 1
        try:
            problem = await self._read(self.selected())
            if self._alive():
                self._draw(problem)
        finally:
            self._polling = False
            self._schedule()

    def _alive(self) -> bool:
        """Still on screen (a poll may end while the app is closing it)."""
        return not self.closing

    def _schedule(self) -> None:
        if not self._alive():
            return
        if self._again:
            self._again = False
            self.action_refresh()
            return
        self._timer = self.set_timer(FAST_POLL if self._busy() else SLOW_POLL, self.action_refresh)

    def _busy(self) -> bool:
        return any(job.state not in FINAL for job in self.jobs.values()) or any(
            map(watching, started_imports(self.session, self.account_name))
        )

    async def _read(self, selected: str | None) -> Text | None:
        """One poll: the platform's list (or its reason for having none), the imports started
        here that it does not list, and the selected import's detail; returns the problem."""
        if not self.names:
            with suppress(Exception):  # the ids are shown instead; the imports may still load
                self.names = {a.id: a.name for a in await self.provider.audiences()}
        jobs: dict[str, ImportJob] = {}
        problem: Text | None = None
        try:
            jobs = {job.id: job for job in await self.provider.imports()}
            self.platform_says = ""
        except UnsupportedError as exc:
            self.platform_says = exc.detail
        except Exception as exc:  # keep what was shown; say why it is not fresh
            problem = error_text(exc).append("   r: try again", style="dim")
            jobs = dict(self.jobs)
        for entry in started_imports(self.session, self.account_name):
            if entry.job.id not in jobs:
                jobs[entry.job.id] = await self._follow(entry)
        if selected in jobs and self.platform_says == "" and problem is None:
            jobs[selected] = await self._detail(jobs[selected])
        self.jobs = {key: self._sent(job) for key, job in jobs.items()}
        observe_jobs(self.session, self.account_name, self.jobs.values())  # finished: counts
        return problem

    async def _follow(self, entry: StartedImport) -> ImportJob:
        """An import started here that the platform does not list: its status, if it has one,
        or for an untracked import the list's member count, the one thing it does report."""
        if not watching(entry) and (entry.job.state in FINAL or self.platform_says):
            return entry.job
        try:
            return await follow(self.session, entry)
        except Exception:  # the row keeps its last known state; the next poll tries again
            return entry.job

    async def _detail(self, job: ImportJob) -> ImportJob:
        """The platform's full status of `job` where its list leaves the row errors out (Emma),
        read again until the import is over."""
        known = self.details.get(job.id)
        if job.errors is not None or (known is not None and known.state in FINAL):
            return known or job
        try:
            detail = await self.provider.import_status(job.id)
        except Exception:  # the summary row is still right; the detail waits for the next poll
            return job
        self.details[job.id] = detail
        return detail

    def _entry(self, job_id: str) -> StartedImport | None:
        """The session's record of `job_id`, if it was started here."""
        entries = started_imports(self.session, self.account_name)
        return next((entry for entry in entries if entry.job.id == job_id), None)

    def _sent(self, job: ImportJob) -> ImportJob:
        """`job` with the rows sent filled in from this session where the platform omits it."""
        entry = self._entry(job.id)
        if job.submitted is not None or entry is None:
            return job
        return replace(job, submitted=entry.rows)

    # --- drawing ------------------------------------------------------------------------------
    def _draw(self, problem: Text | None) -> None:
        """The table brought up to date: cells changed in place, rebuilt only when the set of
        imports changed (newest first), so a poll that found nothing new changes nothing."""
        table = self.query_one("#imports", DataTable)
        keep = self.followed or self.selected()
        ordered = sorted(
            self.jobs.values(),
            key=lambda job: job.started_at or datetime.max.replace(tzinfo=UTC),
            reverse=True,
        )
        shown = [key.value for key in table.rows]
        if shown != [job.id for job in ordered]:
            table.clear()
            for job in ordered:
                table.add_row(*self._cells(job), key=job.id)
        else:
            for job in ordered:
                for column, cell in zip(table.columns, self._cells(job), strict=True):
                    table.update_cell(job.id, column, cell)
        if keep in self.jobs:
            table.move_cursor(row=table.get_row_index(keep))
        self.followed = None
        self._say(problem or self._summary())
        self._describe()

    def _cells(self, job: ImportJob) -> list[Text]:
        return [
            text(job.id),
            text(self.names.get(job.audience_id or "", job.audience_id)),
            state_text(job.state),
            when(job.started_at),
            when(job.finished_at),
            *(count_text(getattr(job, key)) for key in COUNTS),
        ]

    def _summary(self) -> Text:
        count = len(self.jobs)
        running = sum(job.state not in FINAL for job in self.jobs.values())
        words = Text()
        if self.platform_says:
            words.append_text(text(self.platform_says.rstrip(". "), "yellow"))
            words.append(". Imports started in this session are shown below.\n", style="yellow")
        words.append(f"{count} import{'s' * (count != 1)}", style="dim")
        if running:
            words.append(f", {running} running (refreshing every {FAST_POLL:g} s)", style="cyan")
        return words.append("   n: new import   r: refresh", style="dim")

    def selected(self) -> str | None:
        table = self.query_one("#imports", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    @on(DataTable.RowHighlighted, "#imports")
    def _describe(self) -> None:
        key = self.selected()
        job = self.details.get(key or "") or self.jobs.get(key or "")
        detail = self.query_one("#job-detail", Static)
        if job is None:
            detail.update(Text("No import yet.", style="dim") if self.jobs == {} else "")
            return
        entry = self._entry(job.id)
        detail.update(job_detail(self._sent(job), self.names, entry, self.platform_says))

    @on(DataTable.RowHighlighted, "#imports")
    def _fetch_detail(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if key in self.jobs and key not in self.details and not self.platform_says:
            self._load_detail(key)

    @work(exclusive=True, group="imports-detail")
    async def _load_detail(self, key: str) -> None:
        """The detail of an import the user moved to (the polls keep it fresh afterwards)."""
        job = await self._detail(self.jobs[key])
        if job is not self.jobs[key] and self._alive() and self.selected() == key:
            self._describe()

    # --- a new import -------------------------------------------------------------------------
    def action_new(self) -> None:
        draft = self.draft
        self.app.push_screen(
            ImportStartScreen(
                self.session,
                self.account_name,
                audience=draft.audience if draft else self.audience,
                path=str(draft.path) if draft else "",
            ),
            self._confirmed,
        )

    def _confirmed(self, draft: ImportDraft | None) -> None:
        if draft is not None:
            self._send(draft)

    @work(group="imports-send")
    async def _send(self, draft: ImportDraft) -> None:
        rows = len(draft.plan.rows)
        self._say(
            Text(f"Sending {rows:,} row{'s' * (rows != 1)} to ").append_text(
                text(draft.audience.name, "bold")
            )
        )
        try:
            entry = await start_import(
                self.session,
                self.account_name,
                draft.audience,
                draft.plan.rows,
                draft.path,
                draft.plan.rejected,
                opted_out=draft.opted_out,
                **draft.choices,
            )
        except Exception as exc:  # nothing lost: the draft is kept for `n`
            self.draft = draft
            reason = error_text(exc)
            self._say(reason.copy().append("   n: try again (your choices are kept)", "dim"))
            self.notify(
                f"The import was not started: {reason.plain}", severity="error", markup=False
            )
            return
        self.draft = None
        self.followed = entry.job.id
        # Followed to its end by the app, not this screen: the lists hear of it though the
        # monitor is left (the screen's own polls come and go with it).
        self.app.run_worker(
            see_through(self.session, entry, FAST_POLL),
            group="imports-through",
            exit_on_error=False,
        )
        self.notify(f"Import {one_line(entry.job.id)} started.", markup=False)
        self.action_refresh()

    def action_back(self) -> None:
        self.dismiss()
