"""The sandbox served by `audience-tui sandbox serve` over real HTTP on loopback, driven by every
adapter exactly as it would drive the real service."""

from __future__ import annotations

import httpx
import pytest

from audience_tui.core.models import PageRequest, Query
from audience_tui.core.platforms import create
from audience_tui.demo import demo_accounts


async def test_every_adapter_over_loopback(served: str) -> None:
    index = httpx.get(served + "/").json()
    assert set(index["platforms"]) == {"placewise", "ownpage", "kajabi", "emma", "heyloyalty"}
    for account, secrets in demo_accounts(host=served):
        assert account.base_url and account.base_url.startswith("http://127.0.0.1:")
        async with create(account, secrets) as provider:
            audiences = await provider.audiences()
            assert audiences, account.name
            page = await provider.members(audiences[0], Query(), PageRequest(3))
            assert len(page.members) == 3, account.name
            email = (
                next(m.email for m in page.members if m.email)
                if any(m.email for m in page.members)
                else None
            )
            if email:
                found = await provider.lookup(email)
                assert any(m.email and m.email.casefold() == email.casefold() for m in found)


def test_serve_refuses_a_remote_host_without_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    from audience_tui.cli import main

    assert main(["sandbox", "serve", "--host", "0.0.0.0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err
