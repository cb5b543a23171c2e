"""`audience-tui serve`: the page over HTTP, the app over textual-serve's websocket (what a browser
does, without one), a real headless Chromium where one is installed, and the loopback rule."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from audience_tui.cli import main
from audience_tui.demo import demo_session
from audience_tui.sandbox.people import person

aiohttp = pytest.importorskip("aiohttp")

ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served() -> Iterator[str]:
    """`audience-tui --demo serve` on a free loopback port; its base URL once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "audience_tui", "--demo", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                out = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"serve did not start: {out}")
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def plain(data: bytes | str) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return ANSI.sub("", text)


async def a_demo_email() -> str:
    """Someone the demo knows on several platforms (the data is the same in every sandbox)."""
    session = demo_session()
    try:
        for index in range(2400, 2600):
            found = [r for r in await session.lookup(person(index).email) if r.members]
            if len(found) >= 2:
                return person(index).email
    finally:
        await session.aclose()
    raise AssertionError("no demo person on two platforms")


def test_remote_host_needs_allow_remote(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err


def test_app_command_passes_the_global_flags() -> None:
    from audience_tui.cli import build_parser
    from audience_tui.commands.serve import app_command

    args = build_parser().parse_args(["--demo", "--faults", "latency=5ms", "serve"])
    assert app_command(args).endswith("-m audience_tui --demo --faults latency=5ms")


LISTS_LOADED = r"\d+ lists?\b"  # the lists screen's count, once its lists arrived


async def journey(terminal: Terminal, email: str) -> None:
    """Accounts, a list's members, back, then a lookup in every account: each step waits for
    what the step before drew, so a slow machine only makes it slower."""
    await terminal.wait_for("demo-heyloyalty")  # the accounts screen
    await terminal.press("\r", LISTS_LOADED)  # the first account's lists
    await terminal.press("\r", "row 1")  # the first list's members
    await terminal.press("\x1b", LISTS_LOADED)
    await terminal.press("\x1b", "demo-heyloyalty")
    await terminal.press("/", "name@example.com")  # the prompt (from accounts: every account)
    await asyncio.sleep(0.5)  # the prompt's input takes the focus
    await terminal.press(email + "\r", "Opt out everywhere")  # the results across accounts


class Terminal:
    """What the app drew, as plain text, from frames some transport delivers."""

    def __init__(self) -> None:
        self.text = ""

    async def send(self, keys: str) -> None:
        raise NotImplementedError

    async def pump(self, timeout: float) -> None:
        """Add the next frame's text (or return after `timeout`)."""
        raise NotImplementedError

    async def press(self, keys: str, then: str) -> None:
        self.text = ""
        await self.send(keys)
        await self.wait_for(then)

    async def wait_for(self, pattern: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not re.search(pattern, self.text):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{pattern!r} never shown; last output: {self.text[-2000:]}"
            try:
                await self.pump(remaining)
            except TimeoutError:
                continue


async def test_page_and_app_over_the_websocket(served: str) -> None:
    """What the browser does: load the page, open its websocket, type; the app answers."""
    email = await a_demo_email()
    async with aiohttp.ClientSession() as http:
        async with http.get(served) as response:
            page = await response.text()
        assert response.status == 200
        assert "audience-tui" in page
        assert f"ws://127.0.0.1:{served.rsplit(':', 1)[1]}/ws" in page
        async with http.ws_connect(f"{served}/ws?width=120&height=40") as ws:
            await ws.send_str(json.dumps(["resize", {"width": 120, "height": 40}]))
            await journey(Socket(ws), email)


class Socket(Terminal):
    """textual-serve's websocket, spoken directly: stdin as JSON, the screen as binary frames."""

    def __init__(self, ws: object) -> None:
        super().__init__()
        self.ws = ws

    async def send(self, keys: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", keys]))  # type: ignore[attr-defined]

    async def pump(self, timeout: float) -> None:
        message = await self.ws.receive(timeout=timeout)  # type: ignore[attr-defined]
        if message.type == aiohttp.WSMsgType.BINARY:
            self.text += plain(message.data)
        elif message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            pytest.fail(f"the app closed the websocket; last output: {self.text[-2000:]}")


# --- a real browser: headless Chromium driven over the DevTools protocol ------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
async def browser() -> AsyncIterator[str]:
    """Headless Chromium; yields the DevTools websocket URL of its first page."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed")
    profile = tempfile.mkdtemp(prefix="chromium-")
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "--window-size=1280,900",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port_file = Path(profile) / "DevToolsActivePort"
    deadline = time.monotonic() + TIMEOUT
    while not port_file.exists() or not port_file.read_text().strip():
        assert time.monotonic() < deadline and process.poll() is None, "Chromium did not start"
        await asyncio.sleep(0.1)
    port = port_file.read_text().split()[0]
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/json") as response,
    ):
        targets = await response.json()
    page = next(t for t in targets if t["type"] == "page")
    yield page["webSocketDebuggerUrl"]
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(profile, ignore_errors=True)


class DevTools(Terminal):
    """Just enough of the DevTools protocol: commands, and the app's websocket frames as text."""

    def __init__(self, ws: object) -> None:
        super().__init__()
        self.ws = ws
        self.next_id = 0

    async def call(self, method: str, **params: object) -> dict[str, object]:
        self.next_id += 1
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})  # type: ignore[attr-defined]
        while True:
            message = json.loads((await self.ws.receive(timeout=TIMEOUT)).data)  # type: ignore[attr-defined]
            self._event(message)
            if message.get("id") == self.next_id:
                return message.get("result", {})

    def _event(self, message: dict[str, object]) -> None:
        if message.get("method") == "Network.webSocketFrameReceived":
            response = message["params"]["response"]  # type: ignore[index]
            data = response["payloadData"]
            self.text += plain(base64.b64decode(data) if response["opcode"] == 2 else data)

    async def pump(self, timeout: float) -> None:
        self._event(json.loads((await self.ws.receive(timeout=timeout)).data))  # type: ignore[attr-defined]

    async def send(self, keys: str) -> None:
        """Each character as a key press in the page (xterm.js's textarea has the focus)."""
        for char in keys:
            if char == "\r":
                key = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"}
            elif char == "\x1b":
                key = {"key": "Escape", "code": "Escape", "windowsVirtualKeyCode": 27}
            else:
                key = {"key": char, "text": char}
            await self.call("Input.dispatchKeyEvent", type="keyDown", **key)
            await self.call("Input.dispatchKeyEvent", type="keyUp", **key)


async def test_in_headless_chromium(served: str, browser: str) -> None:
    """The demo loads in a real browser, a list opens, and a lookup works."""
    email = await a_demo_email()
    async with aiohttp.ClientSession() as http, http.ws_connect(browser, max_msg_size=0) as ws:
        tools = DevTools(ws)
        await tools.call("Network.enable")
        await tools.call("Page.enable")
        await tools.call("Page.navigate", url=served)
        await tools.wait_for("demo-heyloyalty")
        await tools.call(
            "Runtime.evaluate", expression="document.querySelector('textarea').focus()"
        )
        await journey(tools, email)
        shot = await tools.call("Page.captureScreenshot", format="png")
        out = Path(tempfile.gettempdir()) / "audience-tui-serve-chromium.png"
        out.write_bytes(base64.b64decode(str(shot["data"])))
        assert out.read_bytes().startswith(b"\x89PNG")
