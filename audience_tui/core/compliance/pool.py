"""Work spread over accounts: each account's items run through its own few workers, so one slow
or rate-limited platform never holds back the others and none gets more requests at once than it
tolerates. Cancelling the caller cancels every worker."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TypeVar

T = TypeVar("T")


async def per_account(
    work: Mapping[str, Iterable[T]],
    workers: Callable[[str], int],
    run: Callable[[str, T], Awaitable[None]],
) -> None:
    """`run(account, item)` for every item of every account, `workers(account)` at a time each."""

    async def worker(account: str, queue: asyncio.Queue[T]) -> None:
        while True:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await run(account, item)

    async with asyncio.TaskGroup() as group:
        for account, items in work.items():
            queue: asyncio.Queue[T] = asyncio.Queue()
            for item in items:
                queue.put_nowait(item)
            for _ in range(max(1, min(workers(account), queue.qsize()))):
                group.create_task(worker(account, queue))
