"""core.recent.Recent: one read shared by the calls made meanwhile, reused while fresh, read
again once old, and a failed read not kept."""

from __future__ import annotations

import asyncio

import pytest

from audience_tui.core.recent import Recent


async def test_kept_for_its_time_then_read_again() -> None:
    now = [0.0]
    reads: list[int] = []

    async def read() -> int:
        reads.append(len(reads))
        return len(reads)

    recent = Recent(read, kept=30.0, clock=lambda: now[0])
    assert await recent() == 1
    now[0] = 29.9
    assert await recent() == 1
    now[0] = 30.0
    assert await recent() == 2
    assert len(reads) == 2


async def test_calls_made_during_a_read_share_it() -> None:
    gate = asyncio.Event()
    reads = 0

    async def read() -> str:
        nonlocal reads
        reads += 1
        await gate.wait()
        return "lists"

    recent = Recent(read)
    waiting = [asyncio.create_task(recent()) for _ in range(5)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiting) == ["lists"] * 5
    assert reads == 1


async def test_a_failed_read_is_not_kept() -> None:
    answers: list[Exception | str] = [ConnectionError("down"), "lists"]

    async def read() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    recent = Recent(read)
    with pytest.raises(ConnectionError):
        await recent()
    assert await recent() == "lists"
    assert answers == []
