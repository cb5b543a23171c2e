"""The suite's headless apps render the frames a test looks at (tests/frames.py): a widget
that cannot paint the state a test reaches must still fail that test."""

from __future__ import annotations

from typing import ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.reactive import reactive
from textual.widgets import Static
from tui_helpers import until


class Fragile(Static):
    """Paints until it is broken, then raises as it paints (its size fixed, so that only
    painting calls `render`, not working out its height)."""

    DEFAULT_CSS = "Fragile { width: 10; height: 1; }"
    broken = reactive(False)

    def render(self) -> str:
        if self.broken:
            raise RuntimeError("cannot paint this state")
        return "fine"


class FragileApp(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [("x", "break_it", "break")]

    def compose(self) -> ComposeResult:
        yield Fragile()

    def action_break_it(self) -> None:
        self.query_one(Fragile).broken = True


async def test_a_state_that_cannot_be_painted_fails_the_test_that_reaches_it() -> None:
    with pytest.raises(RuntimeError, match="cannot paint this state"):
        async with FragileApp().run_test() as pilot:
            await pilot.press("x")


async def test_a_state_a_helper_waits_for_is_painted_when_it_is_reached() -> None:
    """`until`, `settle` and `flush` pause without painting and look once at their end."""
    async with FragileApp().run_test() as pilot:
        pilot.app.call_later(pilot.app.action_break_it)
        with pytest.raises(RuntimeError, match="cannot paint this state"):
            await until(pilot, lambda: pilot.app.query_one(Fragile).broken)
