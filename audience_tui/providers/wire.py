"""Helpers every adapter's `wire` module shares, for answers whose shape is not trusted."""

from __future__ import annotations

from typing import Any


def object_or_empty(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one (an optional part left out or wrong)."""
    return value if isinstance(value, dict) else {}
