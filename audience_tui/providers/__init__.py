"""The five platform adapters, by platform name."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import httpx

from ..core.errors import ConfigError
from ..core.models import Account
from ..core.provider import Provider

PLATFORMS: Mapping[str, str] = {
    "placewise": "PlacewiseProvider",
    "ownpage": "OwnpageProvider",
    "kajabi": "KajabiProvider",
    "emma": "EmmaProvider",
    "heyloyalty": "HeyloyaltyProvider",
}


def provider_class(platform: str) -> type[Provider]:
    if platform not in PLATFORMS:
        raise ConfigError(f"unknown platform {platform!r}; use one of: {', '.join(PLATFORMS)}")
    module = importlib.import_module(f"{__package__}.{platform}")
    return getattr(module, PLATFORMS[platform])


def create(
    account: Account,
    secrets: Mapping[str, str],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    **options: Any,
) -> Provider:
    """The adapter for `account`, connected through `transport` (the sandbox) or the network."""
    return provider_class(account.platform)(account, secrets, transport=transport, **options)
