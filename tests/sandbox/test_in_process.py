"""The demo's in-process requests cost no more than their work: none of them looks for a module.

httpx's in-process transport imports sniffio on every request; were it not installed, each
request would search the import path for it again (stat calls and import locks, on the app's
thread, for every page the table or a scan fetches)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

from audience_tui.core.session import Session


class Searched(MetaPathFinder):
    """Records every module the import system looks for, and finds none of them."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        self.names.append(fullname)
        return None


async def test_in_process_requests_look_for_no_module(session: Session) -> None:
    provider = session.provider("demo-heyloyalty")
    audience = (await provider.audiences())[0]  # what a request needs is imported by now
    await provider.fields(audience)
    searched = Searched()
    sys.meta_path.insert(0, searched)
    try:
        for _ in range(3):
            assert await provider.audiences()
            assert await provider.fields(audience)
    finally:
        sys.meta_path.remove(searched)
    assert searched.names == []
