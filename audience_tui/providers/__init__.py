"""The five platform adapters, by platform name."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..core.errors import ConfigError

if TYPE_CHECKING:  # imported with the first adapter, after the app's first frame
    import httpx

    from ..core.models import Account
    from ..core.provider import Provider

# Each platform's name for people, here rather than only on its adapter class: the accounts
# screen shows them in its first frame, before any adapter module is imported.
TITLES: Mapping[str, str] = {
    "placewise": "Placewise MPC",
    "ownpage": "Ownpage",
    "kajabi": "Kajabi",
    "emma": "Emma",
    "heyloyalty": "Heyloyalty",
}
PLATFORMS = tuple(TITLES)


def title(platform: str) -> str:
    return TITLES[known(platform)]


def provider_class(platform: str) -> type[Provider]:
    """The adapter class of `platform`: `{Platform}Provider` in the module of its name."""
    module = importlib.import_module(f"{__package__}.{known(platform)}")
    return getattr(module, f"{platform.capitalize()}Provider")


def known(platform: str) -> str:
    if platform not in TITLES:
        raise ConfigError(f"unknown platform {platform!r}; use one of: {', '.join(TITLES)}")
    return platform


def create(
    account: Account,
    secrets: Mapping[str, str],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    **options: Any,
) -> Provider:
    """The adapter for `account`, connected through `transport` (the sandbox) or the network."""
    return provider_class(account.platform)(account, secrets, transport=transport, **options)
