"""Safe renderings of untrusted values: every API value becomes plain `Text`, never markup.

`clean` removes control characters; wrapping the result in `Text` keeps `[` and friends literal.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from ...core.errors import AudienceError
from ...core.models import Member, MemberStatus
from ...core.sanitize import clean

STATUS_STYLES: dict[MemberStatus, str] = {
    MemberStatus.ACTIVE: "green",
    MemberStatus.OPTED_OUT: "yellow",
    MemberStatus.PENDING: "cyan",
    MemberStatus.ERROR: "red",
    MemberStatus.DELETED: "dim",
}
MISSING = "—"


def text(value: Any, style: str = "") -> Text:
    """Any value as literal text ("—" for nothing)."""
    cleaned = clean(value)
    return Text(cleaned if cleaned else MISSING, style=style if cleaned else "dim")


def platform_title(platform: str) -> str:
    """The adapter's name for the platform, or the bare word if its adapter cannot load."""
    try:
        from ...core.platforms import title

        return title(platform)
    except Exception:  # a missing adapter shows as an error in the status column instead
        return platform


def status_label(member: Member) -> str:
    """ "opted out · unsubscribed (PUBLISHER)": our status word, then the platform's own when it
    differs (after a dot: the platform's words often hold brackets of their own)."""
    ours = member.status.value.replace("_", " ")
    theirs = clean(member.platform_status)
    return f"{ours} · {theirs}" if theirs and theirs.casefold() != ours else ours


def status_text(member: Member) -> Text:
    return Text(status_label(member), style=STATUS_STYLES.get(member.status, ""))


def person(member: Member) -> str:
    """ "Name <email>", or whichever of the two the platform gave, cleaned for display."""
    name, email = clean(member.name).strip(), clean(member.email).strip()
    if name and email:
        return f"{name} <{email}>"
    return name or email or f"member {clean(member.id)}"


def count_text(count: int | None) -> Text:
    if count is None:
        return Text(MISSING, style="dim", justify="right")
    return Text(f"{count:,}", justify="right")


def error_text(error: BaseException) -> Text:
    """An error as the user reads it: its kind, then the message (already free of secrets)."""
    kind = error.kind if isinstance(error, AudienceError) else type(error).__name__
    return Text(f"{kind}: {clean(str(error))}", style="red")
