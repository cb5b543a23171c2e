"""One member: every field the platform returned, readable and scrollable; opt out, copy, re-read.

Dismisses with the member as last read (after an opt-out or `r`), so the screen that opened it
can show the new status too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from ...core.columns import display_value
from ...core.models import Audience, FieldSpec, Member
from ...core.sanitize import clean
from ...core.session import OptOutOutcome, Session
from ..background import BackgroundWork
from ..styled_once import StyledOnce
from ..widgets.cells import (
    error_text,
    person,
    platform_title,
    status_label,
    status_text,
    text,
)
from ..widgets.fields import fields_table, flatten
from ..widgets.footer import Footer
from ..widgets.header import Header
from ..write_views import FollowsWrites, WriteConfirmed
from .opt_out import OptOutScreen


class MemberDetailScreen(StyledOnce, BackgroundWork, FollowsWrites, Screen[Member]):
    TITLE = "Member"
    HELP = (
        "Everything the platform returned about this member: the common fields first, then the "
        "platform's custom fields, then its whole record (consents, statuses, groups, send/open/"
        "click counts), nested values shown as paths. Scroll with the arrow keys or the mouse."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="detail.back"),
        Binding("o", "opt_out", "Opt out", id="detail.opt_out"),
        Binding("y", "copy_email", "Copy email", id="detail.copy_email"),
        Binding("r", "refresh", "Re-read", id="detail.refresh"),
    ]

    def __init__(
        self,
        session: Session,
        account_name: str,
        audience: Audience,
        member: Member,
        fields: Sequence[FieldSpec] | None = None,
    ) -> None:
        """`fields`: the list's fields when the opener has them (the table does), so the first
        paint already shows labels and option names (`Sex Female`, not `sex 2`)."""
        super().__init__()
        self.session = session
        self.account_name = account_name
        self.audience = audience
        self.member = member
        # the list's fields, given or once loaded: labels, options
        self.specs: dict[str, FieldSpec] = {spec.name: spec for spec in fields or ()}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(id="title")
        yield Label(id="message")
        with VerticalScroll(id="detail", can_focus=True):
            yield Static(id="summary")
            yield Static(id="fields")
            yield Static(id="record")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.account_name} · {clean(self.audience.name)}"
        self.show(self.member)
        self.query_one("#detail").focus()
        if not self.specs:
            self.load_fields()

    @work(exclusive=True, group="detail-fields")
    async def load_fields(self) -> None:
        """The list's field labels and choice options, so values read as the platform shows them.
        Without them (an error) the fields keep their names and raw values."""
        try:
            specs = await self.session.provider(self.account_name).fields(self.audience)
        except Exception:  # the detail is still complete without labels
            return
        self.specs = {spec.name: spec for spec in specs}
        self.show(self.member)

    def field_rows(self, member: Member) -> list[tuple[str, object]]:
        rows: list[tuple[str, object]] = []
        for name, value in member.fields.items():
            spec = self.specs.get(name)
            label = spec.label if spec is not None else name
            rows += flatten(display_value(spec, value), label)
        return rows

    def show(self, member: Member) -> None:
        """Render `member` (the first one, or as read back after a write or a refresh)."""
        self.member = member
        self.query_one("#title", Label).update(
            text(person(member), "bold").append("  ").append_text(status_text(member))
        )
        platform = self.session.account(self.account_name).platform
        summary = [
            ("Name", member.name),
            ("Email", member.email),
            ("Status", status_text(member)),
            ("Platform status", member.platform_status),
            ("List", f"{clean(self.audience.name)} ({clean(self.audience.id)})"),
            ("Account", f"{self.account_name} ({platform_title(platform)})"),
            ("Member id", member.id),
            ("Created", member.created_at),
            ("Updated", member.updated_at),
        ]
        self.query_one("#summary", Static).update(fields_table("Member", summary))
        self.query_one("#fields", Static).update(fields_table("Fields", self.field_rows(member)))
        self.query_one("#record", Static).update(
            fields_table("Platform record", flatten(member.raw))
        )

    def _message(self, message: str = "", error: BaseException | None = None) -> None:
        label = self.query_one("#message", Label)
        if error is not None:
            label.update(error_text(error))
        else:
            label.update(Text(message))

    def action_back(self) -> None:
        self.dismiss(self.member)

    def action_opt_out(self) -> None:
        self.app.push_screen(
            OptOutScreen(self.session, self.account_name, self.audience, [self.member]),
            self._opted_out,
        )

    def _opted_out(self, outcomes: list[OptOutOutcome] | None) -> None:
        """The outcome in words; the member shown follows the confirmed write itself."""
        if not outcomes:
            return
        outcome = outcomes[-1]
        if outcome.error is not None:
            self._message(error=outcome.error)
        elif outcome.after is not None:
            self._message(f"Opted out and confirmed: now {status_label(outcome.after)}.")

    def on_write_confirmed(self, message: WriteConfirmed) -> None:
        """A confirmed write, made here or on any other screen: this member as now."""
        member = message.change.update(self.account_name, self.member)
        if member is not None:
            self.show(member)

    def action_copy_email(self) -> None:
        email = clean(self.member.email)
        if not email:
            self.notify("This member has no email address.", severity="warning")
            return
        self.app.copy_to_clipboard(email)
        self.notify(
            f"Copied {email}. If your terminal has no clipboard support, select it on this "
            "screen with the mouse instead.",
            markup=False,
        )

    @work(exclusive=True, group="detail-refresh")
    async def action_refresh(self) -> None:
        self._message("Reading the member again…")
        try:
            member = await self.session.member(self.account_name, self.audience, self.member.id)
        except Exception as exc:  # shown under the title; the member shown stays as it was
            self._message(error=exc)
            return
        self.show(member)
        self._message("Read again just now.")
