"""Screens that follow the session's confirmed writes, so every open view agrees after each one.

The session publishes each confirmed write once (core.write_op.Change: an opt-out, an import); a
screen that mixes in `FollowsWrites` is subscribed while it is mounted and receives the change as
a `WriteConfirmed` message in its own message queue, whichever screen made the write (the table,
a member's detail, a lookup, an opt-out everywhere, the command palette). It then shows the new
state of the members or lists it holds: `Change.update` says what a shown member is now.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.message import Message

from ..core.session import Session
from ..core.write_op import Change


class WriteConfirmed(Message):
    """A write the platform confirmed: `change` says what it touched."""

    def __init__(self, change: Change) -> None:
        super().__init__()
        self.change = change


class FollowsWrites:
    """Mix into a Screen that has a `session`: `on_write_confirmed` gets each confirmed write
    while the screen is mounted."""

    session: Session
    _stop_following: Callable[[], None] | None = None

    # Textual calls the mount/unmount handlers of every class in the screen's MRO (never one
    # through another), so these run beside the screen's and Textual's own, with their signatures.
    def _on_mount(self, event: events.Mount) -> None:
        post = self.post_message  # type: ignore[attr-defined]
        self._stop_following = self.session.writes.subscribe(
            lambda change: post(WriteConfirmed(change))
        )

    def _on_unmount(self) -> None:
        if self._stop_following is not None:
            self._stop_following()
            self._stop_following = None
