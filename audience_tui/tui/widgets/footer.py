"""The footer of every screen: Textual's Footer drawn by one widget.

Textual's Footer is a container of one widget per key (ten on the members screen), recomposed on
every bindings signal: each focus change, each change of the screen stack. Styling, mounting and
painting those keys took ~40 ms of opening a list, while the first page was on its way, and the
in-process platform's answer waited behind it (bench/: figure 1 at 50 ms latency, 1.1x -> 0.8x
without it). This one draws the same line itself: each key as Textual draws a non-compact key,
the command palette's key compact at the right edge behind its rule, a disabled key dimmed. The
mouse works as on Textual's: a key under the pointer is highlighted with its tooltip, and a
click presses it.

Every key is always shown whole: where the line is too narrow (the accounts screen at 120 columns,
any screen at 80), the keys are first drawn closer together, then wrapped onto more lines, and
the footer grows to hold them; never a description cut in the middle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

RULE = "▏"  # Textual's `vkey` border, left of the palette's key


@dataclass(frozen=True)
class Key:
    """A key the footer shows, and where."""

    binding: Binding
    display: str  # as the app displays the key (remapped keys included)
    enabled: bool
    tooltip: str
    start: int = 0  # its cells on its line
    end: int = 0
    row: int = 0  # its line, from the top


class Footer(Widget):
    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "footer-key",  # a key's cell background, as Textual's FooterKey
        "footer-key--key",
        "footer-key--description",
        "footer-key--hover",
        "footer-key--rule",
    }
    DEFAULT_CSS = """
    Footer {
        color: $footer-foreground;
        background: $footer-background;
        dock: bottom;
        height: 1;
        .footer-key {
            background: $footer-item-background;
        }
        .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .footer-key--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .footer-key--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        .footer-key--rule {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys: list[Key] = []  # what the screen's bindings show
        self._placed: list[Key] = []  # those drawn, with their cells
        self._hover: Binding | None = None  # the key under the pointer

    # --- what is shown ----------------------------------------------------------------------
    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self._update()

    def bindings_changed(self, screen: Screen[object]) -> None:
        """Textual's signal that the keys may have changed: redrawn if they have."""
        if self.is_attached and screen is self.screen:
            self._update()

    def _update(self) -> None:
        keys = self._shown()
        if keys != self._keys:
            self._keys, self._hover = keys, None
            self._fit_height()
            self.refresh()

    def _shown(self) -> list[Key]:
        """A key per action shown (its first binding), the command palette's last."""
        palette = self.app.COMMAND_PALETTE_BINDING
        shown: dict[str, Key] = {}
        for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items():
            if binding.show and key != palette and binding.action not in shown:
                shown[binding.action] = self._key(binding, enabled, tooltip)
        keys = list(shown.values())
        found = self.screen.active_bindings.get(palette)
        if self.app.ENABLE_COMMAND_PALETTE and found:
            _, binding, enabled, _ = found
            keys.append(self._key(binding, enabled, binding.tooltip or binding.description))
        return keys

    def _key(self, binding: Binding, enabled: bool, tooltip: str) -> Key:
        return Key(binding, self.app.get_key_display(binding), enabled, tooltip)

    @property
    def keys(self) -> list[Key]:
        """The keys drawn, with the cells each takes (the palette's at the right edge)."""
        return self._placed

    # --- drawing ----------------------------------------------------------------------------
    def on_resize(self) -> None:
        self._fit_height()

    def _fit_height(self) -> None:
        """As many lines as the keys need at this width (one, when they fit)."""
        lines = len(self._arrange(self.size.width or self.app.size.width)[0])
        if self.styles.height is None or self.styles.height.value != lines:
            self.styles.height = lines

    def _arrange(self, width: int) -> tuple[list[list[tuple[Key, Text]]], Text]:
        """The keys' parts line by line, and the palette's part (at the first line's end).

        Spaced as Textual spaces them when they fit on one line; closer together when that
        makes them fit; else wrapped (closer together) onto as many lines as they need."""
        keys = self._keys
        has_palette = bool(keys) and keys[-1].binding.key == self.app.COMMAND_PALETTE_BINDING
        plain, palette = (keys[:-1], keys[-1]) if has_palette else (keys, None)
        right = self._palette(palette) if palette is not None else Text()
        for compact in (False, True):
            parts = [(key, self._key_part(key, compact=compact)) for key in plain]
            lines = _wrap(parts, max(width - right.cell_len, 1), width)
            if len(lines) == 1:
                break
        return lines, right

    def render(self) -> Text:
        width = self.size.width
        lines, right = self._arrange(width)
        palette = self._keys[-1] if right.cell_len else None
        placed: list[Key] = []
        rendered = Text(no_wrap=True, overflow="crop", end="")
        for row, parts in enumerate(lines):
            line = Text(no_wrap=True, overflow="crop", end="")
            for key, part in parts:
                start = line.cell_len
                line.append_text(part)
                placed.append(_at(key, start, line.cell_len, row))
            room = width - (right.cell_len if row == 0 else 0)
            line.truncate(max(room, 0), pad=True)
            if row == 0 and palette is not None:
                placed.append(_at(palette, max(room, 0) + 1, width, 0))  # after the rule
                line.append_text(right)
            if row:
                rendered.append("\n")
            rendered.append_text(line)
        self._placed = [k for k in placed if k.start < k.end]
        return rendered

    def _key_part(self, key: Key, *, compact: bool) -> Text:
        if compact:
            return self._part(key, key.display, f" {key.binding.description} ")
        return self._part(key, f" {key.display} ", f"{key.binding.description} ")

    def _palette(self, key: Key) -> Text:
        """The palette's key, compact, behind the rule Textual draws as its left border."""
        rule = Text(RULE, self.get_component_rich_style("footer-key--rule"))
        part = self._part(key, key.display, f" {key.binding.description}")
        return Text.assemble(rule, part, (" ", self.get_component_rich_style("footer-key")))

    def _part(self, key: Key, shown_key: str, description: str) -> Text:
        part = Text.assemble(
            (shown_key, self.get_component_rich_style("footer-key--key")),
            (description, self.get_component_rich_style("footer-key--description")),
        )
        base = self.get_component_rich_style("footer-key")
        if key.binding is self._hover:
            base += self.get_component_rich_style("footer-key--hover")
        part.stylize_before(base)
        if not key.enabled:
            part.stylize(Style(dim=True))
        return part

    # --- the mouse --------------------------------------------------------------------------
    def _key_at(self, x: int, y: int) -> Key | None:
        return next(
            (key for key in self._placed if key.row == y and key.start <= x < key.end), None
        )

    def on_mouse_move(self, event: events.MouseMove) -> None:
        key = self._key_at(event.x, event.y)
        hover = key.binding if key is not None else None
        if hover is not self._hover:
            self._hover = hover
            self.tooltip = key.tooltip if key is not None else None
            self.refresh()

    def on_leave(self, event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self._key_at(event.x, event.y)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.binding.key)
        else:
            self.app.bell()


def _at(key: Key, start: int, end: int, row: int) -> Key:
    return Key(key.binding, key.display, key.enabled, key.tooltip, start, end, row)


def _wrap(parts: list[tuple[Key, Text]], first: int, width: int) -> list[list[tuple[Key, Text]]]:
    """Whole parts onto lines: `first` cells on the first line (left of the palette's key),
    `width` on the others."""
    lines: list[list[tuple[Key, Text]]] = [[]]
    used = 0
    for key, part in parts:
        room = first if len(lines) == 1 else width
        if lines[-1] and used + part.cell_len > room:
            lines.append([])
            used = 0
        lines[-1].append((key, part))
        used += part.cell_len
    return lines
