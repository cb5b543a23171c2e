"""The footer of every screen: Textual's, rebuilt only when the keys it shows have changed.

Textual's Footer recomposes (one styled widget per key) on every bindings signal: each focus
change, each change of the screen stack, each `refresh_bindings`. Opening a screen sends three,
and the screen underneath gets one more as it is covered and again as it returns; profiles put a
recompose at tens of ms (`Footer.recompose`, `Stylesheet.apply`). This footer recomposes at most
once per refresh, and only when what it would show differs from what it shows.

Its keys are also cheaper to build: Textual's binds each key's `compact` to the footer's, and each
binding restyles its key as it is mounted (~30 ms of a screen's opening, bench/). The app never
shows a compact footer or grouped keys, so the keys are made non-compact from the start.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey


class Footer(TextualFooter):
    _keys_shown: tuple[object, ...] | None = None  # what the last recompose showed
    _recompose_pending = False

    def compose(self) -> ComposeResult:
        """A key per action shown (its first binding), then the command palette's on the right."""
        if not self._bindings_ready:
            return
        palette = self.app.COMMAND_PALETTE_BINDING
        shown: dict[str, FooterKey] = {}
        for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items():
            if binding.show and key != palette and binding.action not in shown:
                shown[binding.action] = self._key(binding, enabled, tooltip)
        self.styles.grid_size_columns = len(shown)
        yield from shown.values()
        found = self.screen.active_bindings.get(palette)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE and found:
            _, binding, enabled, tooltip = found
            tip = binding.tooltip or binding.description
            yield self._key(binding, enabled, tip, classes="-command-palette")  # compact, as ever

    def _key(self, binding: Binding, enabled: bool, tooltip: str, classes: str = "") -> FooterKey:
        key = FooterKey(
            binding.key,
            self.app.get_key_display(binding),
            binding.description,
            binding.action,
            disabled=not enabled,
            tooltip=tooltip,
            classes=classes,
        )
        if not classes:
            key.set_reactive(FooterKey.compact, False)
        return key

    def bindings_changed(self, screen: Screen[object]) -> None:
        """As Textual's, but the recompose is coalesced and skipped when nothing changed."""
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._recompose_pending:
            self._recompose_pending = True
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._recompose_pending = False
        if not self.is_attached:  # its screen was closed before the refresh came
            return
        keys = self._keys()
        if keys != self._keys_shown:
            self._keys_shown = keys
            await self.recompose()

    def _keys(self) -> tuple[object, ...]:
        """Everything `compose` reads: each active binding, whether it is enabled, its tooltip
        and the key as displayed (remapped keys included)."""
        return tuple(
            (binding, enabled, tooltip, self.app.get_key_display(binding))
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
        )
