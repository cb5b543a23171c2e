"""What a screen may ask of the app it runs in, typed: the settings and the demo.

Screens also run under small test hosts that are not `AudienceApp`; there the settings are the
defaults and there is no demo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.settings import DEFAULTS, Settings

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from ..demo import Builds


def settings_of(node: DOMNode) -> Settings:
    """The settings of the app `node` runs in."""
    from .app import AudienceApp

    app = node.app
    return app.settings if isinstance(app, AudienceApp) else DEFAULTS


def demo_of(node: DOMNode) -> Builds | None:
    """The demo sandbox of the app `node` runs in, None on the user's own accounts."""
    from .app import AudienceApp

    app = node.app
    return app.sandbox if isinstance(app, AudienceApp) else None
