"""A member as a person needs them before acting on them: whole, with their email and name.

Some views hold only part of each member: Placewise's reports never carry personal data, so a
filtered Placewise table shows rows without an email or a name. Opening such a row, opting it
out or copying its email first reads the member by id, so the detail, the confirmation ("Opt
out Anna Berg <anna@…>", not "member 2") and the clipboard name the person.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from textual.notifications import SeverityLevel
from textual.worker import Worker

from ..core.errors import AudienceError
from ..core.models import Audience, Member
from ..core.sanitize import clean
from ..core.session import Session


class OneList(Protocol):
    """A screen showing the members of one list (the members table)."""

    session: Session
    account_name: str
    audience: Audience

    def notify(
        self, message: str, *, severity: SeverityLevel = ..., markup: bool = ...
    ) -> None: ...

    def run_worker(
        self, work: Coroutine[Any, Any, None], *, group: str = ..., exclusive: bool = ...
    ) -> Worker[None]: ...


def act_on_whole(screen: OneList, member: Member | None, act: Callable[[Member], object]) -> None:
    """`act(member)`: at once when the member has an email, else once read whole (a worker of
    `screen`, so it ends with it); a failed read is said and nothing is done."""
    if member is None:
        return
    if member.email:
        act(member)
        return

    async def read() -> None:
        try:
            whole = await screen.session.member(screen.account_name, screen.audience, member.id)
        except AudienceError as exc:
            note = f"Could not read member {clean(member.id)}: {clean(str(exc))}"
            screen.notify(note, severity="error", markup=False)
            return
        act(whole)

    screen.run_worker(read(), group="whole-member", exclusive=True)
