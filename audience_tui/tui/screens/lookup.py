"""`/`: find a person by email, in one account (-> their detail) or in every account at once.

The prompt stays open with a message when the email is invalid or not found, so the user can fix
a typo and press enter again. Across accounts the answer is a results screen: each membership
with account, platform, list and status, each account that failed with its error, and opt-out of
one membership (`o`) or of all active ones at once (`O`).
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from ...core.errors import ValidationError
from ...core.models import Member, MemberStatus
from ...core.sanitize import clean
from ...core.session import LookupResult, Session, check_email
from ..background import BackgroundWork
from ..memberships import Target, targets, targets_of
from ..styled_once import StyledOnce
from ..widgets.cells import error_text, platform_title, status_text, text
from ..widgets.data_table import DataTable, RowsOpened
from ..widgets.footer import Footer
from ..widgets.header import Header
from ..write_views import FollowsWrites, WriteConfirmed
from .member_detail import MemberDetailScreen
from .opt_out import OptOutScreen

DONE = (MemberStatus.OPTED_OUT, MemberStatus.DELETED)


class LookupScreen(StyledOnce, BackgroundWork, ModalScreen[None]):
    """The prompt: in `account_name`, or in every account when it is None."""

    TITLE = "Look up"
    HELP = (
        "Type an email address and press enter. In one account a single match opens the member; "
        "several lists give a choice. From the accounts screen every account is searched at once."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="lookup.close")
    ]

    def __init__(self, session: Session, account_name: str | None = None) -> None:
        super().__init__()
        self.session = session
        self.account_name = account_name
        self.found: list[Target] = []

    def compose(self) -> ComposeResult:
        where = self.account_name or f"all {len(self.session.accounts)} accounts"
        with Vertical(id="dialog"):
            yield Label(Text(f"Look up a member by email in {where}", style="bold"), id="heading")
            yield Input(placeholder="name@example.com", id="email")
            yield Label(Text("enter: look up   escape: close", style="dim"), id="message")
            yield OptionList(id="choices")

    def on_mount(self) -> None:
        self.query_one("#choices").display = False

    def on_key(self, event: events.Key) -> None:
        """A character typed with `/` before this prompt had its field focused (`/` and the
        email typed at once, a paste) reaches the screen, not the field: it goes into the field,
        and an enter typed after it looks up what was typed, as it would have."""
        field = self.query_one("#email", Input)
        if event.is_printable and event.character and self.focused in (None, field):
            event.stop()
            field.focus()
            field.insert_text_at_cursor(event.character)

    def _message(self, message: Text | str) -> None:
        label = self.query_one("#message", Label)
        label.update(Text(message) if isinstance(message, str) else message)

    @on(Input.Submitted, "#email")
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            email = check_email(event.value)
        except ValidationError:
            self._message(Text(f"Not an email address: {clean(event.value)!r}", style="red"))
            return
        self.query_one("#choices").display = False
        self._message(f"Looking up {email}…")
        self._look_up(email)

    @work(exclusive=True, group="lookup")
    async def _look_up(self, email: str) -> None:
        names = [self.account_name] if self.account_name else None
        try:
            results = await self.session.lookup(email, names)
        except Exception as exc:  # an adapter bug: say so at the input, keep the app alive
            self._message(error_text(exc))
            return
        if not any(result.members or result.error for result in results):
            where = self.account_name or "any account"
            self._message(Text(f"No member with {email} in {where}.", style="yellow"))
            return
        if self.account_name is None:
            found = await targets_of(self.session, results)
            self.app.switch_screen(LookupResultsScreen(self.session, email, results, found))
            return
        result = results[0]
        if result.error is not None:
            self._message(error_text(result.error))
            return
        self.found = await targets(self.session, result.account.name, result.members)
        if len(self.found) == 1:
            self._open(self.found[0])
            return
        choices = self.query_one("#choices", OptionList)
        choices.clear_options()
        choices.add_options(
            Option(text(t.audience.name).append("  ").append_text(status_text(t.member)), str(i))
            for i, t in enumerate(self.found)
        )
        choices.highlighted = 0  # enter opens the first list's member, as the arrows suggest
        choices.display = True
        choices.focus()
        self._message(f"{email} is on {len(self.found)} lists: choose one and press enter.")

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self._open(self.found[event.option_index])

    def _open(self, target: Target) -> None:
        self.app.switch_screen(MemberDetailScreen(self.session, *target))


class LookupResultsScreen(StyledOnce, BackgroundWork, FollowsWrites, Screen[None]):
    """Where one person is, across accounts, and the way to opt them out there."""

    TITLE = "Lookup results"
    HELP = (
        "Every list the person is on, in every account, with the status each platform reports; "
        "accounts that could not be searched are listed with their error. `o` opts out the "
        "selected membership; `O` opts out every membership that is still active, after one "
        "confirmation listing them all."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open member", id="lookup.open"),
        Binding("escape", "back", "Back", id="lookup.back"),
        Binding("o", "opt_out", "Opt out selected", id="lookup.opt_out"),
        Binding("O", "opt_out_everywhere", "Opt out everywhere", id="lookup.opt_out_everywhere"),
    ]
    account_name = None  # `/` from here looks in every account again

    def __init__(
        self, session: Session, email: str, results: list[LookupResult], found: list[Target]
    ) -> None:
        super().__init__()
        self.session = session
        self.email = email
        self.results = results
        self.found = found

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(id="heading")
        yield RowsOpened(id="results", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = clean(self.email)
        accounts = {t.account_name for t in self.found}
        failed = [r for r in self.results if r.error is not None]
        heading = Text.assemble(
            (clean(self.email), "bold"),
            f": on {len(self.found)} list{'s' * (len(self.found) != 1)}"
            f" in {len(accounts)} account{'s' * (len(accounts) != 1)}",
        )
        if failed:
            heading.append(f"; {len(failed)} account(s) could not be searched", style="red")
        self.query_one("#heading", Label).update(heading)
        table = self.query_one("#results", DataTable)
        for column in ("Account", "Platform", "List", "Status", "Member id"):
            table.add_column(column, key=column)
        for index, target in enumerate(self.found):
            platform = platform_title(self.session.account(target.account_name).platform)
            table.add_row(
                text(target.account_name),
                text(platform),
                text(target.audience.name),
                status_text(target.member),
                text(target.member.id),
                key=str(index),
            )
        for result in self.results:
            if result.error is not None or not result.members:
                outcome = (
                    error_text(result.error)
                    if result.error is not None
                    else Text("not found", style="dim")
                )
                table.add_row(
                    text(result.account.name),
                    text(platform_title(result.account.platform)),
                    Text(""),
                    outcome,
                    Text(""),
                    key=f"account:{result.account.name}",
                )
        table.focus()

    def selected(self) -> int | None:
        """Index in `found` of the highlighted row, None on an account's error/not-found row."""
        table = self.query_one("#results", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        if key.isdigit():
            return int(key)
        self.notify("Choose a row with a membership.", severity="warning")
        return None

    def action_back(self) -> None:
        self.dismiss()

    def action_open(self) -> None:
        index = self.selected()
        if index is not None:
            detail = MemberDetailScreen(self.session, *self.found[index])
            self.app.push_screen(detail, partial(self._update, index))

    @on(DataTable.RowSelected, "#results")
    def _clicked(self) -> None:
        self.action_open()

    def action_opt_out(self) -> None:
        index = self.selected()
        if index is not None:
            self._confirm([self.found[index]])

    def action_opt_out_everywhere(self) -> None:
        active = [t for t in self.found if t.member.status not in DONE]
        if not active:
            self.notify("Nothing to opt out: every membership found is opted out already.")
            return
        self._confirm(active)

    def _confirm(self, chosen: list[Target]) -> None:
        self.app.push_screen(OptOutScreen.everywhere(self.session, chosen))

    def on_write_confirmed(self, message: WriteConfirmed) -> None:
        """A confirmed write, made here or on any other screen: the memberships as now."""
        for index, target in enumerate(self.found):
            self._update(index, message.change.update(target.account_name, target.member))

    def _update(self, index: int, member: Member | None) -> None:
        """Show a membership as last read (after an opt-out, or back from its detail)."""
        if member is None:
            return
        self.found[index] = self.found[index]._replace(member=member)
        table = self.query_one("#results", DataTable)
        table.update_cell(str(index), "Status", status_text(member))
