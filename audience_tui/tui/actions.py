"""The actions a screen offers, read from its bindings: one source for `?` help and the palette.

Every binding in the app carries a stable `id` and a description, so both lists stay in step with
the keys without a second table to maintain. Bindings without an id (Textual's own cursor keys
inside widgets) are left out: they are navigation, not actions.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen


@dataclass(frozen=True, slots=True)
class ScreenAction:
    binding: Binding
    node: DOMNode  # where the action runs (the screen, the app, or a focused widget)
    keys: str  # every key bound to it, as shown to the user
    enabled: bool

    @property
    def id(self) -> str:
        return self.binding.id or self.binding.action

    @property
    def description(self) -> str:
        return self.binding.description or self.binding.action.replace("_", " ")

    @property
    def is_app(self) -> bool:
        return self.id.startswith("app.")


def screen_actions(screen: Screen[object]) -> list[ScreenAction]:
    """The screen's actions then the app's, each once, with all the keys bound to it."""
    found: dict[str, tuple[Binding, DOMNode, list[str], bool]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.id is None:
            continue
        key = screen.app.get_key_display(binding)
        if binding.id in found:
            found[binding.id][2].append(key)
        else:
            found[binding.id] = (binding, active.node, [key], active.enabled)
    actions = [
        ScreenAction(binding, node, " ".join(dict.fromkeys(keys)), enabled)
        for binding, node, keys, enabled in found.values()
    ]
    return sorted(actions, key=lambda action: action.is_app)


async def run_action(action: ScreenAction) -> None:
    """Run the action where its binding lives, as if its key had been pressed."""
    await action.node.app.run_action(action.binding.action, action.node)
