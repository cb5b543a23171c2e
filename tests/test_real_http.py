"""The sandbox served by `audience-tui sandbox serve` over real HTTP on loopback, driven by every
adapter exactly as it would drive the real service."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from audience_tui.core.models import PageRequest, Query
from audience_tui.providers import create
from audience_tui.sandbox.demo import demo_accounts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(sandbox_template: Path, tmp_path: Path) -> Iterator[str]:
    """`audience-tui sandbox serve` in a subprocess; yields its base URL."""
    db = tmp_path / "served.sqlite"
    shutil.copy(sandbox_template, db)
    port = free_port()
    env = {**os.environ, "AUDIENCE_TUI_SANDBOX_DB": str(db), "AUDIENCE_TUI_SANDBOX_SMALL": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "audience_tui", "sandbox", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            process.kill()
            pytest.fail(f"sandbox did not start: {process.communicate()[1]}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


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
