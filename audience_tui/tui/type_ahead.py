"""Keys typed ahead of a screen wait for it, in the order they were typed.

Textual hands each key to the focused widget as it arrives, so keys typed before a screen is up
(a paste, a fast typist, a busy moment) reached the screen being left: `/` and an email typed
at once lost the email, and a key typed while a list opens (its screen shows once its first rows
are in) acted on the lists, or was lost. Here the app holds the keys that follow such a key, or
arrive while a screen is on its way, and hands them on when the screen is up. Keys that arrive
in one read with the key changing the screen (a paste, keys piled up while the app was busy) are
already with the focused widget when that key runs its binding. Those the widget does not take
come back to the app on their way to the bindings (every key bound to an action does, a table's
arrows too): there they wait for a screen on its way, ahead of the keys held as they arrived, or
are handed to the screen that is up now (a name typed with the key opening its form goes into
the form). A key the widget takes itself, as a character typed into a field, stays with it.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any
from weakref import WeakKeyDictionary, WeakSet

from textual import events
from textual.app import App
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerError

# The longest keys wait: for a key's prompt (up in a few ms), for a screen on its way (a list's,
# members.ROWS_WAIT after `enter`, 0.1 s) or for an account's lists (one answer of its platform).
# Past it they go where they would have gone, and keys typed later no longer wait for that screen,
# so a platform that never answers never holds the keyboard: `escape` leaves at once.
HOLD_LIMIT = 0.5


class TypeAhead(App[None]):
    """An app whose screens say what is on its way: a screen's `opening`, the worker bringing
    its first rows or pushing the next screen (the lists screen's: the account's lists, then a
    list opening), and `holds_what_follows(key)`, the keys whose prompt takes what is typed after
    them (the lookup's `/`). A screen with `ASKS` set (a confirmation before a write or a loss)
    takes only keys typed while it shows: keys typed before it came are dropped there, so `o`
    shift+tab ⏎ typed at once no longer opts a member out unseen."""

    def __init__(self) -> None:
        super().__init__()
        self._held: list[events.Key] = []
        # held on their way back to the bindings: typed before every key held as it arrived
        self._held_back: list[events.Key] = []
        # handed on: not held for an opening again (so HOLD_LIMIT always ends a wait), though
        # handed on again if the screen it was typed on gives way before it reaches the bindings
        self._released: WeakSet[events.Key] = WeakSet()
        self._holding_for: events.Key | None = None  # the key the next ones wait behind
        self._hold_limit: Timer | None = None
        self._awaited: Worker[None] | None = None  # the opening the held keys wait for
        # openings waited for until HOLD_LIMIT: no key waits for them again
        self._gave_up: WeakSet[Worker[None]] = WeakSet()
        # the screen on top as each key handed to a widget arrived
        self._typed_on: WeakKeyDictionary[events.Key, Screen[Any]] = WeakKeyDictionary()

    def holds_what_follows(self, key: events.Key) -> bool:
        """Whether the keys typed after `key` go to the screen it opens (none, here)."""
        return False

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.Key):
            await super().on_event(event)
            return
        if event.is_forwarded:
            # Back from the focused widget, on its way to the bindings. Keys that arrived in one
            # read with the key that changes the screen were handed to the widget before that
            # key ran its binding: one that gets here while a screen is on its way waits for
            # it, and one that finds another screen up is handed to that screen's widget.
            if event not in self._released and self._hold_while_opening(event, self._held_back):
                return
            if self._typed_on.get(event, self.screen) is not self.screen:
                self._post_again(event)
                return
            await super().on_event(event)
            return
        if self._holding_for is not None:
            self._held.append(event)
            return
        if event in self._released and getattr(self.screen, "ASKS", False):
            return  # typed before this question was on screen: no answer to it
        if event not in self._released and self._hold_while_opening(event, self._held):
            return
        if self.holds_what_follows(event):
            self._holding_for = event
            self._limit_hold()
        self._typed_on[event] = self.screen
        await super().on_event(event)

    def _hold_while_opening(self, key: events.Key, held: list[events.Key]) -> bool:
        """Hold `key` in `held` if a screen is on its way, until it is up (or HOLD_LIMIT)."""
        if (opening := self.opening()) is None:
            return False
        held.append(key)
        if self._awaited is not opening:
            self._awaited = opening
            self.run_worker(self._release_after(opening), group="type-ahead")
            self._limit_hold()
        return True

    def _limit_hold(self) -> None:
        if self._hold_limit is not None:
            self._hold_limit.stop()
        self._hold_limit = self.set_timer(HOLD_LIMIT, self.release_held)

    def opening(self) -> Worker[None] | None:
        """The worker bringing the screen's first rows or the next screen, while it runs and
        keys still wait for it: past HOLD_LIMIT they stop (a platform slow to list leaves
        `escape` and `/` working at once)."""
        opening: Worker[None] | None = getattr(self.screen, "opening", None)
        if opening is None or opening.is_finished or opening in self._gave_up:
            return None
        return opening

    async def after_opening(self, opening: Worker[None]) -> None:
        """Once the screen on its way is up (or did not come)."""
        with suppress(WorkerError):
            await opening.wait()

    async def _release_after(self, opening: Worker[None]) -> None:
        await self.after_opening(opening)
        self.release_held()

    def release_held(self) -> None:
        """The keys held, in order, to the screen now on top. Also on HOLD_LIMIT: a key that
        never opens its prompt (taken by a field an earlier key focused), or a screen slow to
        come, holds the rest no longer than that."""
        if self._hold_limit is not None:
            self._hold_limit.stop()
        if self._awaited is not None:
            self._gave_up.add(self._awaited)  # if it still runs, HOLD_LIMIT ended the wait
        self._holding_for = self._awaited = None
        held, self._held, self._held_back = self._held_back + self._held, [], []
        for key in held:
            self._post_again(key)

    def _post_again(self, key: events.Key) -> None:
        """`key` typed again, to the screen now on top, not to be held again."""
        again = events.Key(key.key, key.character)
        self._released.add(again)
        self.post_message(again)
