"""The five platforms, by name: what people call each, and where its adapter lives.

The adapter is named by a dotted string and imported on first use, as a plug-in entry point is:
core never imports the adapters, and the accounts screen shows the titles in its first frame
before any adapter module is loaded.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .errors import ConfigError

if TYPE_CHECKING:  # the adapter and httpx come with the first account used (bench figure 7)
    import httpx

    from .models import Account
    from .provider import Provider


@dataclass(frozen=True, slots=True)
class Platform:
    name: str
    title: str  # the platform's name for people
    adapter: str  # "package.module:Class", imported by adapter_class

    def adapter_class(self) -> type[Provider]:
        module, _, name = self.adapter.partition(":")
        cls: type[Provider] = getattr(importlib.import_module(module), name)
        return cls


ADAPTERS = "audience_tui.providers"
PLATFORMS: Mapping[str, Platform] = {
    p.name: p
    for p in (
        Platform("placewise", "Placewise MPC", f"{ADAPTERS}.placewise.adapter:PlacewiseProvider"),
        Platform("ownpage", "Ownpage", f"{ADAPTERS}.ownpage.adapter:OwnpageProvider"),
        Platform("kajabi", "Kajabi", f"{ADAPTERS}.kajabi.adapter:KajabiProvider"),
        Platform("emma", "Emma", f"{ADAPTERS}.emma.adapter:EmmaProvider"),
        Platform("heyloyalty", "Heyloyalty", f"{ADAPTERS}.heyloyalty.adapter:HeyloyaltyProvider"),
    )
}
NAMES = tuple(PLATFORMS)


def platform(name: str) -> Platform:
    """The platform called `name`, or ConfigError naming the ones there are."""
    try:
        return PLATFORMS[name]
    except KeyError:
        raise ConfigError(f"unknown platform {name!r}; use one of: {', '.join(NAMES)}") from None


def title(name: str) -> str:
    return platform(name).title


def adapter_class(name: str) -> type[Provider]:
    return platform(name).adapter_class()


class Connect(Protocol):
    """What makes an account's adapter: `create`, or a test's stand-in given to the Session."""

    def __call__(
        self,
        account: Account,
        secrets: Mapping[str, str],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **options: Any,
    ) -> Provider: ...


def create(
    account: Account,
    secrets: Mapping[str, str],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    **options: Any,
) -> Provider:
    """The adapter for `account`, connected through `transport` (the sandbox) or the network."""
    return adapter_class(account.platform)(account, secrets, transport=transport, **options)


async def verify(
    account: Account,
    secrets: Mapping[str, str],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    connect: Connect = create,
) -> None:
    """One cheap real call with these credentials; raises the adapter's typed error if refused."""
    async with connect(account, secrets, transport=transport) as provider:
        await provider.verify()
