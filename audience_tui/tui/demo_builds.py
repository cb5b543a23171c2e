"""The demo sandbox's background builds of its million-member lists, as the screens show them.

Only the demo app has a sandbox (`context.demo_of`); with accounts of one's own there is no build
and every function here answers None or nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.session import Session
from .context import demo_of

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from ..demo import BuildProgress


def builds_of(node: DOMNode, session: Session, account_name: str) -> list[BuildProgress]:
    """The builds of the account's demo lists (in the app `node` runs in)."""
    sandbox = demo_of(node)
    if sandbox is None:
        return []
    return sandbox.builds(session.account(account_name))


def build_of(
    node: DOMNode, session: Session, account_name: str, audience_id: str
) -> BuildProgress | None:
    """The build filling list `audience_id`, while it runs (None once finished or failed)."""
    sandbox = demo_of(node)
    if sandbox is None:
        return None
    build = sandbox.progress(session.account(account_name), audience_id)
    return build if build is not None and not build.finished and not build.error else None


def building(build: BuildProgress) -> str:
    """ "being built: 280,000 of 1,000,000" """
    return f"being built: {build.done:,} of {build.total:,}"
