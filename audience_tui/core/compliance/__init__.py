"""Compliance jobs across every account at once: suppression lists, erasure, subject access and
consent drift. No Textual here: the CLI (commands/compliance.py) and the TUI's Compliance screen
both drive these modules and show their progress."""

from collections.abc import Collection, Iterable


def not_found(
    accounts: Iterable[str], holding: Collection[str], failed: Collection[str]
) -> list[str]:
    """The accounts searched that hold nothing on the person: neither among those `holding` a
    record nor among those whose lookup `failed` (those are not known to hold nothing)."""
    return [a for a in accounts if a not in holding and a not in failed]
