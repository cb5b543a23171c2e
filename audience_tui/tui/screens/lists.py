"""An account's audiences (lists, groups, clubs, sites) with member counts where known.

In demo mode the sandbox builds its million-member lists in the background after the first
start; while it does, this screen shows how far each build has come and refreshes the counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Label
from textual.worker import Worker

from ...core.models import Audience
from ...core.sanitize import clean
from ...core.session import Session
from ..background import BackgroundWork
from ..demo_builds import building, builds_of
from ..styled_once import StyledOnce
from ..widgets.cells import count_text, error_text, platform_title, text
from ..widgets.data_table import DataTable, RowsOpened
from ..widgets.footer import Footer
from ..widgets.header import Header
from ..write_views import FollowsWrites, WriteConfirmed

if TYPE_CHECKING:
    from ...demo import BuildProgress

BUILD_POLL = 0.5  # seconds between progress redraws while a demo list is being built
RECOUNT_EVERY = 6  # polls between re-reading the member counts during a build


class ListsScreen(StyledOnce, BackgroundWork, FollowsWrites, Screen[None]):
    TITLE = "Lists"
    HELP = (
        "The account's lists with their member counts (— where the platform does not say). "
        "`enter` opens a list's members; `c` charts its members by a field; `i` shows the "
        "account's imports (a new one goes to the selected list); `/` looks an email up in this "
        "account; `escape` goes back to the accounts."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open list", id="lists.open"),
        Binding("escape", "back", "Back", id="lists.back"),
        Binding("c", "charts", "Charts", id="lists.charts"),
        Binding("i", "imports", "Imports", id="lists.imports"),
        Binding("r", "refresh", "Refresh", id="lists.refresh"),
    ]

    def __init__(self, session: Session, account_name: str) -> None:
        super().__init__()
        self.session = session
        self.account_name = account_name
        self.audiences: dict[str, Audience] = {}
        self._timer: Timer | None = None
        self._polls = 0
        # What keys typed now wait for (type_ahead.py): the lists, as they first load, then a
        # list's screen on its way.
        self.opening: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(id="message")
        yield RowsOpened(id="lists", cursor_type="row", zebra_stripes=True)
        yield Label(id="builds")
        yield Footer()

    def on_mount(self) -> None:
        account = self.session.account(self.account_name)
        self.sub_title = f"{account.name} ({platform_title(account.platform)})"
        table = self.query_one("#lists", DataTable)
        table.add_column("List", key="name")
        table.add_column("Kind", key="kind")
        table.add_column("Members", key="members")
        table.add_column("Id", key="id")
        table.focus()
        self.query_one("#builds").display = False
        self.opening = self.action_refresh()

    # --- loading ------------------------------------------------------------------------------
    @work(exclusive=True, group="lists")
    async def action_refresh(self) -> None:
        message = self.query_one("#message", Label)
        if not self.audiences:
            message.update(Text("Loading lists…", style="dim"))
        try:
            audiences = await self.session.audiences(self.account_name)
        except Exception as exc:  # shown with the way out; the screen stays usable
            message.update(error_text(exc).append("   r: try again", style="dim"))
            return
        self._show(audiences)
        count = len(audiences)
        message.update(Text(f"{count} list{'s' * (count != 1)}", style="dim"))
        self._track_builds()

    def _show(self, audiences: list[Audience]) -> None:
        table = self.query_one("#lists", DataTable)
        known = set(self.audiences)
        self.audiences = {audience.id: audience for audience in audiences}
        for audience in audiences:
            if audience.id in known:
                table.update_cell(audience.id, "members", self._count(audience), update_width=True)
            else:
                table.add_row(
                    text(audience.name),
                    text(audience.kind),
                    self._count(audience),
                    text(audience.id),
                    key=audience.id,
                )

    def _count(self, audience: Audience) -> Text:
        """The member count; for a demo list, against its size where the count leaves some
        statuses out ("911,240 active of 1,000,000"), and how far its build has come."""
        count = count_text(audience.member_count)
        build = next((b for b in self._builds() if b.audience_id == audience.id), None)
        if build is None:
            return count
        if build.finished and audience.member_count not in (None, build.total):
            count = Text(f"{audience.member_count:,} active of {build.total:,}", justify="right")
        elif not build.finished and not build.error:
            count.append(f"  {building(build)}", style="cyan")
        return count

    def on_write_confirmed(self, message: WriteConfirmed) -> None:
        """An import or an opt-out on this account changes member counts: read them again."""
        if message.change.account == self.account_name:
            self.action_refresh()

    # --- demo list builds ---------------------------------------------------------------------
    def _builds(self) -> list[BuildProgress]:
        return builds_of(self, self.session, self.account_name)

    def _track_builds(self) -> None:
        running = [b for b in self._builds() if not b.finished]
        if running and self._timer is None:
            self._timer = self.set_interval(BUILD_POLL, self._poll)
        self._draw_builds()

    def _draw_builds(self) -> None:
        label = self.query_one("#builds", Label)
        running = [b for b in self._builds() if not b.finished]
        label.display = bool(running)
        lines = Text()
        for build in running:
            if lines:
                lines.append("\n")
            if build.error:
                lines.append(f"Demo list {clean(build.label)!r} failed to build: ", style="red")
                lines.append(clean(build.error))
            else:
                lines.append(
                    f"Building demo list {clean(build.label)!r}: {build.done:,} of "
                    f"{build.total:,} members ({build.fraction:.0%}). It is usable meanwhile.",
                    style="cyan",
                )
        label.update(lines)

    def _poll(self) -> None:
        self._polls += 1
        running = [b for b in self._builds() if not b.finished and not b.error]
        if not running or self._polls % RECOUNT_EVERY == 0:
            self.action_refresh()
        if not running and self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._draw_builds()

    # --- actions ------------------------------------------------------------------------------
    def selected(self) -> Audience | None:
        table = self.query_one("#lists", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.audiences.get(key or "")

    def action_open(self) -> None:
        audience = self.selected()
        if audience is None:
            return
        from .members import MembersScreen, show_members

        screen = MembersScreen(self.session, self.account_name, audience)
        self.opening = self.run_worker(show_members(screen), group="open-list", exclusive=True)

    def action_charts(self) -> None:
        from .charts import ChartsScreen  # on first use: plotext is not needed to start

        audience = self.selected()
        if audience is None:
            return
        self.app.push_screen(ChartsScreen(self.session, self.account_name, audience))

    def action_imports(self) -> None:
        from .imports import ImportsScreen  # on first use, as charts

        screen = ImportsScreen(self.session, self.account_name, audience=self.selected())
        self.app.push_screen(screen)

    @on(DataTable.RowSelected, "#lists")
    def _clicked(self) -> None:
        self.action_open()

    def action_back(self) -> None:
        self.dismiss()
