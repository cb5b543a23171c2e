"""`audience-tui serve`: the page over HTTP, the app over textual-serve's websocket (what a browser
does, without one), a real headless Chromium where one is installed, and the loopback rule."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from audience_tui.cli import main
from audience_tui.demo import Sandbox, demo_session
from audience_tui.sandbox.people import person

aiohttp = pytest.importorskip("aiohttp")
web = pytest.importorskip("aiohttp.web")

ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SERVING = re.compile(r"serving audience-tui on (http://\S+)/\?token=(\S+)")


@dataclass(frozen=True)
class Served:
    """A running `serve`: its base URL and this launch's token, as its first line printed them."""

    base: str
    token: str

    @property
    def page(self) -> str:
        return f"{self.base}/?token={self.token}"

    @property
    def websocket(self) -> str:
        return f"{self.base.replace('http', 'ws', 1)}/ws/{self.token}"

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])


def first_line(process: subprocess.Popen[bytes], pattern: re.Pattern[str]) -> re.Match[str]:
    """The first line `process` prints that matches `pattern` (fails on exit or after TIMEOUT)."""
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while (remaining := deadline - time.monotonic()) > 0:
            if not selector.select(remaining):
                continue
            line = process.stdout.readline().decode()
            if not line:
                break
            seen += line
            if found := pattern.search(line):
                return found
    pytest.fail(f"serve did not start: {seen}")


def serving() -> Iterator[Served]:
    """`audience-tui --demo serve` on a free loopback port, once it says where it serves."""
    process = subprocess.Popen(
        [sys.executable, "-m", "audience_tui", "--demo", "serve", "--port", str(free_port())],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
    )
    try:
        found = first_line(process, SERVING)
        yield Served(found.group(1), found.group(2))
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def served(sandbox: Sandbox) -> Iterator[Served]:
    """A `serve` of the test's own, over the test's sandbox (its copy of the seeded demo
    database: the served apps inherit the test's environment): for the tests that run the app
    through it."""
    yield from serving()


@pytest.fixture(scope="module")
def refusing() -> Iterator[Served]:
    """One `serve` for the tests of what it refuses: a refusal runs no app and changes nothing,
    so they share it rather than each starting a process of its own."""
    yield from serving()


def plain(data: bytes | str) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return ANSI.sub("", text)


async def a_demo_email(sandbox: Sandbox) -> str:
    """Someone the demo knows on several platforms (the data is the same in every sandbox)."""
    session = demo_session(sandbox)
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


def test_a_bad_fault_spec_is_refused_before_serving(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--demo", "--faults", "nonsense=1", "serve"]) == 2
    assert "--faults: unknown fault 'nonsense=1'" in capsys.readouterr().err


def test_every_address_needs_the_public_url(capsys: pytest.CaptureFixture[str]) -> None:
    """Host headers are checked against the served names: a wildcard address names none."""
    assert main(["serve", "--host", "0.0.0.0", "--allow-remote"]) == 2
    assert "--public-url" in capsys.readouterr().err


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
    await terminal.press(email, re.escape(email))  # typed into the prompt's input, which has focus
    await terminal.press("\r", "Opt out everywhere")  # the results across accounts


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


async def test_page_and_app_over_the_websocket(served: Served, sandbox: Sandbox) -> None:
    """What the browser does: load the page, open its websocket, type; the app answers."""
    email = await a_demo_email(sandbox)
    async with aiohttp.ClientSession() as http:
        async with http.get(served.page) as response:
            page = await response.text()
        assert response.status == 200
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "audience-tui" in page
        assert served.websocket in page
        url = f"{served.websocket}?width=120&height=40"
        async with http.ws_connect(url, origin=served.base) as ws:
            await ws.send_str(json.dumps(["resize", {"width": 120, "height": 40}]))
            await journey(Socket(ws), email)


# --- what a foreign web page (or a rebound DNS name) can try; each is refused before any app runs -
@pytest.mark.parametrize(
    ("where", "query"),
    [("page", ""), ("page", "?token=wrong"), ("page", "?token=")],
    ids=["no-token", "wrong-token", "empty-token"],
)
async def test_the_page_needs_the_printed_token(refusing: Served, where: str, query: str) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{refusing.base}/{query}") as response:
        assert response.status == 403
        assert "open the URL that audience-tui serve printed" in await response.text()


async def test_a_foreign_host_header_is_refused(refusing: Served) -> None:
    """DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1."""
    foreign = {"Host": f"evil.example:{refusing.port}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(refusing.page, headers=foreign) as response:
            assert response.status == 403
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(refusing.websocket, origin=refusing.base, headers=foreign)
        assert refused.value.status == 403
        async with http.get(
            refusing.page, headers={"Host": f"localhost:{refusing.port}"}
        ) as response:
            assert response.status == 200  # the same machine by another of its names


@pytest.mark.parametrize(
    "origin",
    ["null", "http://evil.example", "http://127.0.0.1:1", "https://127.0.0.1", None],
    ids=["null", "foreign", "other-port", "other-scheme", "none"],
)
async def test_a_websocket_from_another_origin_is_refused(
    refusing: Served, origin: str | None
) -> None:
    """Even with the token: a page's script cannot forge its Origin, and only ours may drive it."""
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(refusing.websocket, origin=origin)
        assert refused.value.status == 403


@pytest.mark.parametrize("path", ["/ws", "/ws/wrong-token", "/ws/"], ids=["bare", "wrong", "empty"])
async def test_a_websocket_without_the_token_is_refused(refusing: Served, path: str) -> None:
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{refusing.base}{path}", origin=refusing.base)
        assert refused.value.status in (403, 404)


@pytest.mark.parametrize("command", [["serve"], ["sandbox", "serve"]], ids=["serve", "sandbox"])
def test_a_busy_port_is_one_line_and_exit_4(command: list[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "audience_tui", "--demo", *command, "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    assert result.returncode == 4
    assert result.stderr.strip() == f"error: port {port} is in use, try --port"
    assert "serving" not in result.stdout


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
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; .ci/run does)")
    profile = tempfile.mkdtemp(prefix="chromium-")
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
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

    async def wait_for_title(self, title: str) -> None:
        """Until the page navigated to has loaded (its title is shown)."""
        deadline = time.monotonic() + TIMEOUT
        while (await self.call("Runtime.evaluate", expression="document.title"))["result"] != {
            "type": "string",
            "value": title,
        }:
            assert time.monotonic() < deadline, f"the page titled {title!r} never loaded"
            await asyncio.sleep(0.05)

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


@asynccontextmanager
async def foreign_page() -> AsyncIterator[str]:
    """A page of another origin (a loopback port of its own), as a web page the user visits."""

    async def page(_: object) -> object:
        return web.Response(text=FOREIGN, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


FOREIGN = "<title>elsewhere</title><p>a page of another origin"


async def test_in_headless_chromium(served: Served, browser: str, sandbox: Sandbox) -> None:
    """The demo loads in a real browser, a list opens, and a lookup works."""
    email = await a_demo_email(sandbox)
    async with aiohttp.ClientSession() as http, http.ws_connect(browser, max_msg_size=0) as ws:
        tools = DevTools(ws)
        await tools.call("Network.enable")
        await tools.call("Page.enable")
        await tools.call("Page.navigate", url=served.page)
        await tools.wait_for("demo-heyloyalty")
        await tools.call(
            "Runtime.evaluate", expression="document.querySelector('textarea').focus()"
        )
        await journey(tools, email)
        shot = await tools.call("Page.captureScreenshot", format="png")
        async with foreign_page() as elsewhere:  # another origin on the same machine
            await tools.call("Page.navigate", url=elsewhere)
            await tools.wait_for_title("elsewhere")
            opened = await tools.call(
                "Runtime.evaluate",
                awaitPromise=True,
                expression=f"""new Promise(done => {{
                    const ws = new WebSocket({json.dumps(served.websocket)});
                    ws.onopen = () => done("opened");
                    ws.onerror = () => done("refused");
                }})""",
            )
        assert opened["result"] == {"type": "string", "value": "refused"}  # type: ignore[comparison-overlap]
        out = Path(tempfile.gettempdir()) / "audience-tui-serve-chromium.png"
        out.write_bytes(base64.b64decode(str(shot["data"])))
        assert out.read_bytes().startswith(b"\x89PNG")
