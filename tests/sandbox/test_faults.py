"""The adapters under the sandbox's injected faults: 429 honoured, reads retried, writes not,
garbage answered with a clear error, and the fault spec itself."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from audience_tui.core.errors import InvalidResponseError, ServerError
from audience_tui.core.models import PageRequest, Query
from audience_tui.core.platforms import create
from audience_tui.core.provider import Provider
from audience_tui.demo import Sandbox, demo_accounts
from audience_tui.sandbox.faults import FaultSpec

PLATFORMS = ["heyloyalty", "emma", "ownpage", "kajabi", "placewise"]


def test_fault_spec_parsing() -> None:
    spec = FaultSpec.parse("latency=50ms,429=0.1,5xx=0.05,timeout=0.02,drop=0.01,seed=3")
    assert (
        spec.latency,
        spec.rate_limit,
        spec.server_error,
        spec.timeout,
        spec.drop,
        spec.seed,
    ) == (0.05, 0.1, 0.05, 0.02, 0.01, 3)
    assert spec.active and not FaultSpec().active
    for bad in ("explode=1", "429=2", "latency=fast", "429"):
        with pytest.raises(ValueError):
            FaultSpec.parse(bad)


def recovering(sandbox: Sandbox, sleeps: list[float]) -> Callable[[float], object]:
    """A sleep for the adapter's client that records the wait and clears the fault."""

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        sandbox.app.spec = FaultSpec()

    return sleep


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_429_is_waited_out_then_succeeds(
    platform: str, sandbox: Sandbox, provider_for: Callable[..., Provider]
) -> None:
    sleeps: list[float] = []
    provider = provider_for(platform, sleep=recovering(sandbox, sleeps))
    sandbox.app.spec = FaultSpec(rate_limit=1.0, retry_after=2)
    audiences = await provider.audiences()
    assert audiences
    assert 2.0 in sleeps


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_reads_are_retried_after_5xx(
    platform: str, sandbox: Sandbox, provider_for: Callable[..., Provider]
) -> None:
    provider = provider_for(platform)
    audience = (await provider.audiences())[0]
    sleeps: list[float] = []
    provider = provider_for(platform, sleep=recovering(sandbox, sleeps))
    sandbox.app.spec = FaultSpec(server_error=1.0)
    page = await provider.members(audience, Query(), PageRequest(5))
    assert page.members and sleeps


class Recording(httpx.AsyncBaseTransport):
    """The sandbox transport, noting each request's method and path."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.seen: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.path))
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_writes_are_not_retried_after_5xx(
    platform: str, sandbox: Sandbox, provider_for: Callable[..., Provider]
) -> None:
    provider = provider_for(platform)
    audience = (await provider.audiences())[0]
    member = (await provider.members(audience, Query(), PageRequest(1))).members[0]

    async def no_wait(seconds: float) -> None:
        sandbox.app.spec = FaultSpec(server_error=1.0)  # reads retry; keep failing them all

    account, secrets = next((a, s) for a, s in demo_accounts() if a.platform == platform)
    recording = Recording(sandbox.transport)
    async with create(account, secrets, transport=recording, sleep=no_wait) as provider:
        await provider.audiences()  # authenticate first where the platform uses tokens
        recording.seen.clear()
        sandbox.app.spec = FaultSpec(server_error=1.0)
        with pytest.raises(ServerError):
            await provider.opt_out(member)
        writes = [seen for seen in recording.seen if seen[0] != "GET" and "token" not in seen[1]]
        assert len(writes) <= 1  # a write, if it was reached, was sent once and not repeated
        sandbox.app.spec = FaultSpec()
        after = await provider.member(audience, member.id)
    assert after.status == member.status  # the injected 5xx came before the platform acted


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("fault", [FaultSpec(malformed=1.0), FaultSpec(truncate=1.0)])
async def test_garbage_is_a_clear_error(
    platform: str, fault: FaultSpec, sandbox: Sandbox, provider_for: Callable[..., Provider]
) -> None:
    provider = provider_for(platform)
    await provider.audiences()  # authenticate first where the platform uses tokens
    sandbox.app.spec = fault
    with pytest.raises(InvalidResponseError) as info:
        await provider.audiences()
    assert provider.title in str(info.value)
