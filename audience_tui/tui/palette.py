"""The ctrl+p command palette: every action of the current screen and of the app, by name, and
the themes."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .actions import ScreenAction, run_action, screen_actions


class ActionsProvider(Provider):
    """Offers each binding of the calling screen (and the app) under its description."""

    def _actions(self) -> list[ScreenAction]:
        return [
            action
            for action in screen_actions(self.screen)
            if action.enabled and action.id != "app.command_palette"
        ]

    @staticmethod
    def _title(action: ScreenAction) -> str:
        return f"{action.description} ({action.keys})"

    async def discover(self) -> Hits:
        for action in self._actions():
            yield DiscoveryHit(self._title(action), partial(run_action, action), help=action.id)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action in self._actions():
            title = self._title(action)
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(title), partial(run_action, action), title, action.id
                )


CHOICE_KEPT = "the choice is kept in the settings file"


class ThemesProvider(Provider):
    """ "Change theme" (Textual's theme picker), and "Theme: NAME" for each theme when searching;
    the choice is remembered in the settings."""

    def _entries(self) -> list[tuple[str, Callable[[], object]]]:
        current = self.app.theme
        entries: list[tuple[str, Callable[[], object]]] = [
            (f"Change theme (now {current})", self.app.search_themes)
        ]
        for name in sorted(self.app.available_themes):
            title = f"Theme: {name}" + (" (current)" if name == current else "")
            entries.append((title, partial(setattr, self.app, "theme", name)))
        return entries

    async def discover(self) -> Hits:
        """One entry, so the list of actions stays short; typing "theme" lists every theme."""
        title, choose = self._entries()[0]
        yield DiscoveryHit(title, choose, help=CHOICE_KEPT)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, choose in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), choose, title, CHOICE_KEPT)
