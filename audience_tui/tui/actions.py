"""The actions a screen offers, read from its bindings: one source for `?` help and the palette.

Every binding in the app carries a stable `id` and a description, so both lists stay in step with
the keys without a second table to maintain. Bindings without an id (Textual's own cursor keys
inside widgets) are left out: they are navigation, not actions.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import _normalize_key_list
from textual.screen import ModalScreen, Screen

from ..core.settings import KEYS_TABLE, Loaded, Problem


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


def bound_keys(screen: Screen[Any]) -> dict[str, str]:
    """Each binding id active on `screen`: its keys as shown to the user, remapped ones too."""
    return {action.id: action.keys for action in screen_actions(screen)}


async def run_action(action: ScreenAction) -> None:
    """Run the action where its binding lives, as if its key had been pressed."""
    await action.node.app.run_action(action.binding.action, action.node)


# --- every binding of the app, for `audience-tui keys`, the settings' [keys] table and tests -----
# Chords that terminals and multiplexers commonly take before an app sees them (see
# shared/research/anchors.md: Posting #95, Harlequin #71/#425). Defaults never use them; a keymap
# that does is warned about, not refused: the user may know their terminal lets it through.
TAKEN_CHORDS: dict[str, str] = {
    "ctrl+a": "GNU screen's prefix",
    "ctrl+b": "tmux's prefix",
    "ctrl+c": "the terminal's interrupt",
    "ctrl+g": "zellij's lock mode",
    "ctrl+j": "the same as enter in most terminals",
    "ctrl+m": "the same as enter in most terminals",
    "ctrl+i": "the same as tab in most terminals",
    "ctrl+o": "zellij's session mode",
    "ctrl+q": "flow control (XON) in many terminals",
    "ctrl+s": "flow control (XOFF) in many terminals",
    "ctrl+z": "the shell's suspend",
    "ctrl+enter": "not sent apart from enter by many terminals (and taken by macOS)",
    "ctrl+backslash": "the terminal's quit signal",
}


@dataclass(frozen=True, slots=True)
class KeyEntry:
    """One binding id as `audience-tui keys` lists it."""

    id: str
    description: str
    owner: str  # where it works, as the user knows the place ("Members screen", "every table")
    default: str  # Textual key names, comma-separated
    keys: str  # as remapped by the settings, else the default


def binding_owners() -> list[type[DOMNode]]:
    """Every screen, widget and app class of the TUI that declares bindings of its own.

    Found by importing every module of the package, so a screen added later is covered without
    being registered anywhere.
    """
    package = importlib.import_module(__package__ or "audience_tui.tui")
    for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        importlib.import_module(module.name)
    owners: list[type[DOMNode]] = []
    pending: list[type[DOMNode]] = [DOMNode]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith(package.__name__) and cls.__dict__.get("BINDINGS"):
            owners.append(cls)
    return sorted(set(owners), key=lambda cls: (cls.__module__, cls.__qualname__))


def declared_bindings(owner: type[DOMNode]) -> list[Binding]:
    """The bindings `owner` itself declares, one per key (Textual splits "g,home" in two)."""
    return list(Binding.make_bindings(owner.__dict__.get("BINDINGS", [])))


def key_entries(keymap: Mapping[str, str]) -> list[KeyEntry]:
    """Every binding id with its default and effective keys, in the order classes declare them."""
    grouped: dict[str, tuple[Binding, type[DOMNode], list[str]]] = {}
    for owner in binding_owners():
        for binding in declared_bindings(owner):
            if binding.id is not None:
                grouped.setdefault(binding.id, (binding, owner, []))[2].append(binding.key)
    entries = []
    for binding_id, (binding, owner, keys) in grouped.items():
        default = ",".join(dict.fromkeys(keys))
        remapped = keymap.get(binding_id)
        keys_now = _normalize_key_list(remapped) if remapped else default
        description = binding.description or binding.action
        entries.append(KeyEntry(binding_id, description, where(owner), default, keys_now))
    return entries


# Classes whose place is not their title: the app's keys work everywhere, a widget's in it.
PLACES = {
    "AudienceApp": "everywhere",
    "DataTable": "every table",
    "MemberTable": "members table",
    "FormatChoice": "export formats",
}


def where(owner: type[DOMNode]) -> str:
    """The screen or widget that declares a binding, as the user knows it: its title
    ("Members screen"), else its class name in words ("type to confirm")."""
    if owner.__name__ in PLACES:
        return PLACES[owner.__name__]
    title = owner.__dict__.get("TITLE")
    if isinstance(title, str) and title:
        return f"{title} screen"
    name = owner.__name__.removesuffix("Screen").removesuffix("Dialog")
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()
    return f"{words} dialog" if issubclass(owner, ModalScreen) else words


def keymap_problems(loaded: Loaded) -> list[Problem]:
    """What is wrong with the settings' [keys]: ids no binding has, chords terminals take, and a
    remapped key that another action of the same screen (or the app) already uses.

    Without a [keys] table nothing can be wrong, and the check, which imports every screen of the
    TUI (`binding_owners`), is skipped: the first frame needs only the accounts screen.
    """
    keymap = {name: _normalize_key_list(keys) for name, keys in loaded.settings.keys.items()}
    if not keymap:
        return []
    known = {entry.id for entry in key_entries({})}
    found: dict[tuple[str, str], str] = {}  # (binding id, key) -> what is wrong
    for binding_id, keys in keymap.items():
        if binding_id not in known:
            found[binding_id, ""] = "no binding has this id (`audience-tui keys` lists them)"
        for key in keys.split(","):
            if key in TAKEN_CHORDS:
                found[binding_id, key] = f"{key} is {TAKEN_CHORDS[key]}; it may never reach the app"
    for owner, ids_by_key in _keys_by_owner(keymap).items():
        for key, ids in ids_by_key.items():
            for binding_id in sorted(ids & keymap.keys()):
                others = ", ".join(sorted(ids - {binding_id}))
                if others:
                    found[binding_id, key] = f"{key} is also {others} on {owner}: one will not work"
    problems = [loaded.problem(name, message, KEYS_TABLE) for (name, _), message in found.items()]
    return sorted(problems, key=lambda problem: problem.line or 0)


def _keys_by_owner(keymap: Mapping[str, str]) -> dict[str, dict[str, set[str]]]:
    """For each screen or widget, which binding ids each key triggers there (with the app's)."""
    owners = binding_owners()
    app_bindings = [
        b for owner in owners if issubclass(owner, App) for b in declared_bindings(owner)
    ]
    result: dict[str, dict[str, set[str]]] = {}
    for owner in owners:
        scope = declared_bindings(owner)
        if not issubclass(owner, App):
            scope += app_bindings
        by_key = result.setdefault(owner.__name__, {})
        for binding in scope:
            if binding.id is not None:
                for key in keymap.get(binding.id, binding.key).split(","):
                    by_key.setdefault(key, set()).add(binding.id)
    return result
