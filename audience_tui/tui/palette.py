"""The ctrl+p command palette: every action of the current screen and of the app, by name, and
the themes.

One provider offers both, actions first: as two providers they answered at once, and "Change
theme" landed at the end of the list or among the actions from one opening to the next."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .actions import run_action, screen_actions

CHOICE_KEPT = "the choice is kept in the settings file"


class PaletteProvider(Provider):
    """Each binding of the calling screen (and the app) under its description, then "Change
    theme" (Textual's theme picker) and, when searching, "Theme: NAME" for each theme; a
    theme chosen is remembered in the settings."""

    def _actions(self) -> list[tuple[str, Callable[[], object], str]]:
        return [
            (f"{action.description} ({action.keys})", partial(run_action, action), action.id)
            for action in screen_actions(self.screen)
            if action.enabled and action.id != "app.command_palette"
        ]

    def _themes(self) -> list[tuple[str, Callable[[], object], str]]:
        current = self.app.theme
        entries: list[tuple[str, Callable[[], object], str]] = [
            (f"Change theme (now {current})", self.app.search_themes, CHOICE_KEPT)
        ]
        for name in sorted(self.app.available_themes):
            title = f"Theme: {name}" + (" (current)" if name == current else "")
            entries.append((title, partial(setattr, self.app, "theme", name), CHOICE_KEPT))
        return entries

    async def discover(self) -> Hits:
        """The actions and one theme entry, so the list stays short; typing "theme" lists
        every theme."""
        for title, run, help_text in [*self._actions(), self._themes()[0]]:
            yield DiscoveryHit(title, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, run, help_text in [*self._actions(), *self._themes()]:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, title, help_text)
