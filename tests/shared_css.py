"""Each test's app parses the same CSS once per worker, not once per app.

Textual keeps the rules it parsed in a cache of each app's stylesheet, so every app of the
suite (~400 of them, one or more a Pilot test) tokenized and parsed its own copy of app.tcss
and of every widget's default CSS again: 13-18 ms of a Pilot test's ~100 ms start. Here the
rules are kept for the worker's life, keyed as Textual keys them plus the theme's variables
(which Textual substitutes while parsing, and clears its own cache for when they change).
Parsed rules are only read after parsing, so apps can share them; what an app does with its
styles is unchanged, and a stylesheet that fails to parse still fails (nothing is kept for it).
"""

from __future__ import annotations

from typing import Any

from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet

_parse_rules = Stylesheet._parse_rules
_parsed: dict[tuple[Any, ...], list[RuleSet]] = {}


def _shared_parse_rules(
    stylesheet: Stylesheet,
    css: str,
    read_from: Any,
    is_default_rules: bool = False,
    tie_breaker: int = 0,
    scope: str = "",
) -> list[RuleSet]:
    key = (css, read_from, is_default_rules, tie_breaker, scope, *stylesheet._variables.items())
    rules = _parsed.get(key)
    if rules is None:
        rules = _parsed[key] = _parse_rules(
            stylesheet, css, read_from, is_default_rules, tie_breaker, scope
        )
    return rules


def share_parsed_css() -> None:
    """From now on in this process, apps share the rules parsed from the same CSS."""
    Stylesheet._parse_rules = _shared_parse_rules  # type: ignore[method-assign]
