"""The app's demo sandbox starts on its first request, after the first frame (bench figure 7):
once for every request that comes meanwhile, whatever happens to the request that started it, and
a start that fails is each request's clear error rather than the app's crash."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from audience_tui.core.errors import NetworkError
from audience_tui.core.http import RetryPolicy
from audience_tui.demo import DeferredSandbox, Sandbox, demo_session
from audience_tui.sandbox.store import Store, copy_store

ONE_TRY = {"client_options": {"retry": RetryPolicy(attempts=1)}}


@pytest.fixture
def store(sandbox_template: Path, tmp_path: Path) -> Store:
    path = tmp_path / "sandbox.sqlite"
    copy_store(sandbox_template, path)
    return Store.open(path, big_lists=False)


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The threads `Sandbox.start` ran on, one entry a start."""
    threads: list[str] = []
    start = Sandbox.start

    def counted(store: Store | None = None, faults: object = None) -> Sandbox:
        threads.append(threading.current_thread().name)
        return start(store, faults)  # type: ignore[arg-type]

    monkeypatch.setattr(Sandbox, "start", counted)
    return threads


async def test_requests_that_come_together_share_one_start(store: Store, starts: list[str]) -> None:
    deferred = DeferredSandbox(store)
    session = demo_session(deferred)
    assert starts == []  # nothing started before the first request
    names = [account.name for account in session.accounts]
    try:
        await asyncio.gather(*(session.provider(name).verify() for name in names))
        lists = await session.provider("demo-heyloyalty").audiences()
    finally:
        await session.aclose()
    assert len(starts) == 1
    assert starts[0] != threading.current_thread().name  # off the app's thread
    assert any(audience.member_count for audience in lists)


async def test_a_request_given_up_leaves_the_start_running(
    store: Store, starts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    start = Sandbox.start

    def slow(store: Store | None = None, faults: object = None) -> Sandbox:
        release.wait(10)
        return start(store, faults)  # type: ignore[arg-type]

    monkeypatch.setattr(Sandbox, "start", slow)
    session = demo_session(DeferredSandbox(store))
    provider = session.provider("demo-emma")
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(provider.verify(), 0.05)
        release.set()
        await provider.verify()
    finally:
        await session.aclose()
    assert len(starts) == 1


async def test_a_start_that_fails_is_each_requests_error(tmp_path: Path) -> None:
    broken = tmp_path / "sandbox.sqlite"
    broken.write_bytes(b"not a database, but a file in its place " * 100)
    session = demo_session(DeferredSandbox(Store.open(broken, big_lists=False)), **ONE_TRY)
    try:
        for name in ("demo-heyloyalty", "demo-kajabi"):
            with pytest.raises(NetworkError) as failed:
                await session.provider(name).verify()
            assert "the demo sandbox did not start" in str(failed.value)
            assert "not a database" in str(failed.value)
    finally:
        await session.aclose()
