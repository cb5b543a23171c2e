"""The import rule every adapter follows: an import never turns a member who opted out back to
subscribed unless the user asked for it explicitly (`ImportRequest.resubscribe`).

Several platforms update existing members on import (Heyloyalty's `handle_existing=update` may
re-activate the unsubscribed; Ownpage and Emma upsert), so before sending, the adapter asks the
platform which rows' members are opted out on the audience and leaves those rows out.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import ValidationError
from ..core.models import ImportRequest, row_email
from ..core.provider import Provider


def kept_out_note(count: int) -> str:
    """What an import's note says of the rows left out."""
    if not count:
        return ""
    return f" {count} opted out earlier: kept out (not sent, so not resubscribed)."


async def without_opted_out(
    provider: Provider, request: ImportRequest
) -> tuple[list[dict[str, Any]], int]:
    """The rows to send and how many were left out; ValidationError when none is left."""
    if request.resubscribe:
        return request.rows, 0
    out = request.opted_out
    if out is None:
        emails = [email for row in request.rows if (email := row_email(row))]
        out = frozenset(await provider.opted_out_among(request.audience, emails) if emails else ())
    kept = [row for row in request.rows if row_email(row) not in out]
    left_out = len(request.rows) - len(kept)
    if request.rows and not kept:
        raise ValidationError(
            f"all {left_out} row(s) are members who opted out earlier: nothing to send (ask "
            "to resubscribe them explicitly to send them)",
            platform=provider.title,
        )
    return kept, left_out
