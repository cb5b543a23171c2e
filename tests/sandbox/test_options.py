"""OPTIONS over the whole sandbox: `Allow` lists every method a path takes (RFC 9110), so a probe
can ask whether a route exists without sending the write itself."""

from __future__ import annotations

import httpx
import pytest

from audience_tui.demo import Sandbox
from audience_tui.sandbox.emma import routes as emma
from audience_tui.sandbox.placewise import routes as placewise

EMMA = f"{emma.PREFIX}/{emma.DEMO_SETTINGS['account_id']}"


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        # one path served by three routes (GET, PUT, DELETE): every one of them is listed
        (f"{placewise.PREFIX}/v3/city-lade/members/1", "DELETE, GET, HEAD, OPTIONS, PUT"),
        (f"{EMMA}/members/purge", "OPTIONS, PUT"),
        (f"{EMMA}/members", "GET, HEAD, OPTIONS, POST"),
    ],
)
async def test_allow_lists_every_method_of_the_path(
    sandbox: Sandbox, path: str, allow: str
) -> None:
    async with httpx.AsyncClient(transport=sandbox.transport) as client:
        answer = await client.options(f"http://sandbox.invalid{path}")
    assert (answer.status_code, answer.headers.get("Allow")) == (204, allow)


async def test_a_path_no_route_takes_is_not_found(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(transport=sandbox.transport) as client:
        answer = await client.options(f"http://sandbox.invalid{EMMA}/members/nowhere/else")
    assert answer.status_code == 404 and "Allow" not in answer.headers
