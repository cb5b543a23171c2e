"""Opt-out confirmation, sending, read-back and retry, for one membership or many.

The screen names every person, platform and list before anything is sent, and says which of them
are opted out already (nothing is sent for those); focus starts on Cancel, so `o` then `enter`
sends nothing. `escape` cancels until then. Each opt-out goes through `Session.opt_out` (one
audited write, core.write_op, published to every open view), so the result column shows the
status the platform now reports, or the error, and failed ones (and those whose outcome could not
be told) can be retried without closing. Dismisses with the latest outcome of every membership
that was sent (empty when cancelled). With `confirm_bulk_opt_out = false` in the settings, an
opt-out of several people is sent as soon as it opens (one person is always asked about).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Label, ProgressBar

from ...core.errors import AudienceError
from ...core.models import Audience, Member
from ...core.platforms import adapter_class
from ...core.session import OptOutOutcome, Session
from ..background import BackgroundWork
from ..context import settings_of
from ..memberships import Target
from ..styled_once import StyledOnce
from ..widgets.cells import (
    error_text,
    person,
    platform_title,
    status_text,
    text,
)
from ..widgets.data_table import DataTable
from ..widgets.wrapping_checkbox import WrappingCheckbox


class OptOutScreen(StyledOnce, BackgroundWork, ModalScreen[list[OptOutOutcome]]):
    HELP = (
        "Confirm the opt-out of the memberships listed. Nothing is sent until you press "
        "**Opt out** (focus starts on Cancel); `escape` cancels. Nothing is sent for a membership "
        "opted out already. Each result shows the status read back from the platform, or the "
        "error; when the platform's answer was lost and reading back could not tell, the outcome "
        "is unknown. `r` retries the ones that failed or are unknown, reading back first. Every "
        "attempt is in the audit file."
    )
    ASKS = True  # answered only by keys typed while it shows (type_ahead.py)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Cancel / close", id="optout.close"),
        Binding("r", "retry", "Retry failed", id="optout.retry"),
    ]

    def __init__(
        self, session: Session, account_name: str, audience: Audience, members: Sequence[Member]
    ) -> None:
        super().__init__()
        self.session = session
        self.targets = [Target(account_name, audience, member) for member in members]
        self.outcomes: dict[int, OptOutOutcome] = {}
        self.sending = False

    @classmethod
    def everywhere(
        cls, session: Session, targets: Iterable[Target | tuple[str, Audience, Member]]
    ) -> OptOutScreen:
        """One confirmation for memberships in several accounts and lists (a person everywhere)."""
        screen = cls(session, "", Audience(id="", name=""), [])
        screen.targets = [Target(*target) for target in targets]
        return screen

    # --- layout -------------------------------------------------------------------------------
    def _heading(self) -> Text:
        people = dict.fromkeys(person(t.member) for t in self.targets)
        count = len(self.targets)
        lists = f"{count} list" + ("" if count == 1 else "s")
        who = next(iter(people)) if len(people) == 1 else f"{len(people)} people"
        return Text.assemble("Opt out ", (who, "bold"), f" from {lists}?")

    def _already(self) -> list[Target]:
        """The memberships whose opt-out shows already (the session sends nothing for them)."""
        return [
            t
            for t in self.targets
            if self.session.provider(t.account_name).opt_out_unconfirmed(t.member) is None
        ]

    def _before_sending(self) -> Text:
        """What pressing Opt out will do; the memberships opted out already are named."""
        already = self._already()
        unless = " unless you tick the box below" if self._channel_choices() else ""
        if already and len(already) == len(self.targets):
            where = "there" if len(already) == 1 else "on every list shown"
            return Text.assemble(
                ("Already opted out " + where, "bold yellow"), f": nothing will be sent{unless}."
            )
        note = Text(
            "Nothing has been sent yet. The platform's opt-out is then read back to confirm."
        )
        if already:
            note.append(
                f" {len(already)} of them {'is' if len(already) == 1 else 'are'} opted out "
                f"already: nothing is sent for those{unless}.",
                style="yellow",
            )
        return note

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self._heading(), id="heading")
            yield DataTable(id="targets", cursor_type="row", zebra_stripes=True)
            yield Label(self._before_sending(), id="state")
            for platform, choice in self._channel_choices():
                # Off by default: disabling the channel stops transactional mail too.
                yield WrappingCheckbox(f"{platform}: {choice}", value=False, id="disable-channel")
            yield ProgressBar(total=max(len(self.targets), 1), show_eta=False, id="progress")
            with Horizontal(id="buttons"):
                yield Button("Opt out", variant="error", id="confirm")
                yield Button("Cancel", id="cancel")

    def _channel_choices(self) -> list[tuple[str, str]]:
        """(platform title, choice) of the targets' platforms with a separate channel choice
        (Capabilities.opt_out_channel); at most one: only Placewise has one."""
        platforms = {self.session.account(t.account_name).platform for t in self.targets}
        return [
            (platform_title(p), choice)
            for p in sorted(platforms)
            if (choice := adapter_class(p).capabilities.opt_out_channel)
        ][:1]

    def _disable_channel(self) -> bool:
        boxes = self.query("#disable-channel").results(Checkbox)
        return any(box.value for box in boxes)

    def on_mount(self) -> None:
        table = self.query_one("#targets", DataTable)
        several = len({person(t.member) for t in self.targets}) > 1  # else the heading names them
        columns = ("Person", "Platform", "Account", "List", "Status", "Result")
        for column in columns[0 if several else 1 :]:
            table.add_column(column, key=column)
        for index, target in enumerate(self.targets):
            platform = self.session.account(target.account_name).platform
            cells = [
                text(person(target.member)),
                text(platform_title(platform)),
                text(target.account_name),
                text(target.audience.name),
                status_text(target.member),
                Text("not sent", style="dim"),
            ]
            table.add_row(*cells[0 if several else 1 :], key=str(index))
        self.query_one("#progress").display = False
        self.query_one("#cancel", Button).focus()  # `o` then `enter` must not send
        if several and not settings_of(self).confirm_bulk_opt_out:
            self._send(range(len(self.targets)))  # the user's setting: several people, no question

    # --- actions ------------------------------------------------------------------------------
    @on(Button.Pressed, "#confirm")
    def _confirm_pressed(self) -> None:
        if self.outcomes:
            self.action_retry()
        else:
            self._send(range(len(self.targets)))

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_close()

    def action_close(self) -> None:
        if self.sending:
            self.notify("Wait until the opt-outs sent so far have been read back.")
            return
        self.dismiss([self.outcomes[i] for i in sorted(self.outcomes)])

    def action_retry(self) -> None:
        failed = self.failed()
        if failed and not self.sending:
            self._send(failed)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return bool(self.failed()) and not self.sending
        return True

    def failed(self) -> list[int]:
        return [i for i, outcome in sorted(self.outcomes.items()) if not outcome.confirmed]

    # --- sending ------------------------------------------------------------------------------
    @work(exclusive=True, group="opt-out")
    async def _send(self, indexes: Iterable[int]) -> None:
        indexes = list(indexes)
        self.sending = True
        progress = self.query_one("#progress", ProgressBar)
        progress.update(total=len(indexes), progress=0)
        progress.display = True
        self.query_one("#buttons").display = False
        table = self.query_one("#targets", DataTable)
        try:
            for done, index in enumerate(indexes):
                target = self.targets[index]
                self._state(f"Sending {done + 1} of {len(indexes)}…")
                table.update_cell(str(index), "Result", Text("sending…", style="cyan"))
                outcome = await self._opt_out(target)
                self.outcomes[index] = outcome
                table.update_cell(str(index), "Result", self._result(outcome), update_width=True)
                if outcome.after is not None:
                    status = status_text(outcome.after)
                    table.update_cell(str(index), "Status", status, update_width=True)
                progress.advance(1)
        finally:
            self.sending = False
            self._finished()

    async def _opt_out(self, target: Target) -> OptOutOutcome:
        try:
            return await self.session.opt_out(
                target.account_name, target.member, disable_channel=self._disable_channel()
            )
        except Exception as exc:  # an adapter bug must show as a failure, not kill the screen
            error = exc if isinstance(exc, AudienceError) else AudienceError(repr(exc))
            account = self.session.account(target.account_name)
            return OptOutOutcome(account, target.member, None, error=error)

    @staticmethod
    def _result(outcome: OptOutOutcome) -> Text:
        if outcome.confirmed:
            return Text("✓ " + ("confirmed" if outcome.sent else "already opted out"), "green")
        error = error_text(outcome.error or AudienceError("not confirmed"))
        return Text("? " if outcome.unknown else "✗ ").append_text(error)

    def _finished(self) -> None:
        failed = self.failed()
        confirmed = len(self.outcomes) - len(failed)
        summary = f"{confirmed} of {len(self.targets)} opted out and confirmed by read-back."
        unknown = sum(self.outcomes[i].unknown for i in failed)
        if unknown:
            summary += (
                f" {unknown} unknown: the platform's answer was lost and could not be read back."
            )
        if failed:
            summary += f" {len(failed)} not confirmed: press r (or Retry failed) to try again."
        self._state(summary)
        confirm = self.query_one("#confirm", Button)
        confirm.label = "Retry failed"
        confirm.display = bool(failed)
        self.query_one("#cancel", Button).label = "Close"
        self.query_one("#buttons").display = True
        (confirm if failed else self.query_one("#cancel", Button)).focus()
        self.refresh_bindings()

    def _state(self, message: str) -> None:
        self.query_one("#state", Label).update(message)
