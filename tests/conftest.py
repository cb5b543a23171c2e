"""Shared fixtures: an isolated home, an in-memory keyring, a fresh sandbox per test (with the demo
session over it), and the sandbox served over real HTTP in a subprocess.

The sandbox's demo data (small lists only; the million-member lists are for the demo and bench/)
is seeded once per test session into a template database, and each test gets its own copy, so
writes in one test never leak into another.
"""

from __future__ import annotations

import fcntl
import gc
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TypeVar

import httpx
import keyring
import pytest
import textual.constants
from frames import paint_only_when_looked_at
from hypothesis import settings
from keyring.backend import KeyringBackend
from shared_css import share_parsed_css

from audience_tui.cli import remove_log_handlers
from audience_tui.core import redact
from audience_tui.core.platforms import create
from audience_tui.core.provider import Provider
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox, demo_accounts, demo_session
from audience_tui.sandbox.faults import FaultSpec
from audience_tui.sandbox.placewise import data as placewise_data
from audience_tui.sandbox.store import Store, copy_store

# The test modules' rewritten asserts and the package's bytecode are cached (in the git-ignored
# __pycache__ folders) even where PYTHONDONTWRITEBYTECODE is set: without the cache every xdist
# worker rewrites and compiles all of them again on every run, ~4 s of CPU a worker.
sys.dont_write_bytecode = False

# Property tests draw the same examples on every run, so the suite's verdict never depends on
# luck (CI once failed on an example no earlier run had drawn); no deadline, as timing under a
# loaded machine is no property. `HYPOTHESIS_PROFILE=explore` draws new examples to hunt bugs.
settings.register_profile("deterministic", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


# Textual's animations off, as a user may set them (TEXTUAL_ANIMATIONS=none): a progress bar or a
# loading indicator on screen otherwise repaints at 60 frames a second for as long as it shows,
# frames no test reads (~10% of the Pilot tests' CPU). What the app does is unchanged; only
# Textual's own tweening (scrolls, a bar's bounce, a spinner) ends at once. App() reads it.
textual.constants.TEXTUAL_ANIMATIONS = "none"

share_parsed_css()  # each worker's apps parse the same CSS once (shared_css.py)


T = TypeVar("T")


class _SnapshotDay(date):
    """The day the tests' Placewise sandbox seeds as of: it stores each member's age band as of
    the day it seeds (as the platform's reports band ages), and the snapshots were recorded on
    2026-12-05; seeded as of the real day, a member's birthday turned a snapshot red at midnight
    (2026-12-06 00:00, a member born in 1976 aged 49 -> 50)."""

    @classmethod
    def today(cls) -> _SnapshotDay:
        return cls(2026, 12, 5)


placewise_data.date = _SnapshotDay  # type: ignore[misc]


# The tiers in the order they run: the slow Pilot and command tests first, the quick unit tests
# last, so that when the workers of `-n auto` near the end, what is left to share out between
# them (`--dist worksteal`) is many short tests rather than one long one holding a core alone.
TIERS = ("tui", "cli", "adapters", "sandbox", "unit")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` starts two workers more than there are cores: a Pilot test waits on its app, its
    sandbox's threads and its subprocesses for ~a quarter of its time, which one worker a core
    left idle (2 cores: 207 s with 2 workers, 155 s with 4, the same CPU; 3 did worse than 4)."""
    return (os.cpu_count() or 1) + 2


def pytest_collection_finish(session: pytest.Session) -> None:
    """Set the modules, classes and collected tests aside from the garbage collector, and let it
    walk the heap less often: each test's app leaves thousands of objects in cycles, so the
    default thresholds made a full collection every few tests, ~20% of a worker's CPU. The
    thresholds only space the collections out; every cycle is still collected."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(7000, 10, 100)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Collect what the last tests left once, then set the survivors aside: pytest's check for
    exceptions raised in finalizers then walks the heap five times more at each worker's end
    (~1 s of a worker's last second). A finalizer that raises in this collection is still
    reported by that check; the survivors are live objects, no garbage."""
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def tier(item: pytest.Item) -> int:
        name = item.path.parent.name
        return TIERS.index(name) if name in TIERS else len(TIERS)

    items.sort(key=tier)  # stable: the order within a tier is the files' own


class MemoryKeyring(KeyringBackend):
    """A keyring that lives and dies with the test: the real one is never touched."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.entries[(service, username)]


@pytest.fixture(autouse=True)
def logging_left_as_found() -> Iterator[None]:
    """`main()` points the root logger at this test's state folder (`setup_logging`), and the
    folder goes once the test passes: a handler left there made the next test's first log line
    a "Logging error" traceback on its stderr. The handlers go with the test; the level is
    put back."""
    root = logging.getLogger()
    level = root.level
    yield
    remove_log_handlers()
    root.setLevel(level)


@pytest.fixture(autouse=True)
def frames_looked_at(monkeypatch: pytest.MonkeyPatch) -> None:
    """A headless app renders the frames a test looks at, not every frame (frames.py)."""
    paint_only_when_looked_at(monkeypatch)


async def _answer_here(store: Store, fn: Callable[..., T], *args: object) -> T:
    """`Store.run` (and `run_in_turn`), on the caller's loop instead of a worker thread."""
    return fn(store.connect(), *args)


@pytest.fixture(autouse=True)
def sandbox_reads_on_the_loop(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The emulated platforms read the tests' small lists on the test's own loop, not on threads.

    A hop to a thread and back costs ~120-150 us of CPU on these machines (a trivial function
    through `asyncio.to_thread`, measured), more than most of those reads (a token, a list, a
    member by id: tens of microseconds); the hops were ~14% of the suite's CPU. The demo and
    `sandbox serve` keep the threads, so that a read of a million-member list never holds the
    app, and so do the tests of the emulator itself (tests/sandbox) and those that serve it from
    a subprocess. Writes go to a thread as before (`Store.run_write`: each waits for its file's
    writer, which a thread may hold)."""
    if request.path.parent.name == "sandbox":
        return
    monkeypatch.setattr(Store, "run", _answer_here)
    monkeypatch.setattr(Store, "run_in_turn", _answer_here)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Config, cache, state and data dirs under tmp_path; no real account or setting is read."""
    home = tmp_path / "home"
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_DATA_HOME", "data"),
    ):
        (home / sub).mkdir(parents=True)
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("AUDIENCE_TUI_SANDBOX_DB", raising=False)
    monkeypatch.setenv("AUDIENCE_TUI_SANDBOX_SMALL", "1")
    yield home


@pytest.fixture(autouse=True)
def secrets_of_this_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test masks the secrets registered while it runs, as a process of the app does:
    kept for the worker's life, every test's sandbox tokens piled up (thousands of them), and
    each log line was searched for all of them (~150 us a line)."""
    monkeypatch.setattr(redact, "_secrets", set())
    monkeypatch.setattr(redact, "_fragments", set())


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def log_bytes(monkeypatch: pytest.MonkeyPatch) -> int:
    """The log's rotation size, made small: rotating takes a few hundred lines, not thousands
    (each line goes through redaction)."""
    import audience_tui.cli

    monkeypatch.setattr(audience_tui.cli, "LOG_BYTES", 20_000)
    return 20_000


@pytest.fixture
def quick_import_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The `import` command checks on the import it started every 50 ms instead of every
    second: the emulated platforms finish an import after a few polls, whatever their pace."""
    from audience_tui.commands import writes

    monkeypatch.setattr(writes, "POLL_SECONDS", 0.05)


@pytest.fixture(scope="session")
def sandbox_template(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A database seeded with the small demo lists, once per run: the first worker to need it
    builds it (under a lock, in the folder the run's workers share) and the others wait for it
    and copy it; each seeded its own, ~1.5 s of CPU a worker. Tests only ever copy it."""
    root = tmp_path_factory.getbasetemp()
    shared = root if worker_id == "master" else root.parent
    path = shared / "sandbox-template" / "sandbox.sqlite"
    with (shared / "sandbox-template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.parent.joinpath("seeded").exists():
            path.parent.mkdir(exist_ok=True)
            store = Store.open(path, big_lists=False)
            Sandbox.start(store)
            store.close()
            path.parent.joinpath("seeded").touch()
    return path


@pytest.fixture
def sandbox(
    sandbox_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Sandbox]:
    """A sandbox of this test's own, seeded with the small demo lists, served in-process.

    Closed after the test: its serving thread would otherwise idle on to the end of the run,
    holding the test's app alive (a thread keeps the `sys.stderr` of its start, which a running
    Textual app has replaced with its own capture), and with it a screen's worth of widgets
    that every full collection of the garbage collector walks again."""
    path = tmp_path / "sandbox.sqlite"
    copy_store(sandbox_template, path)
    monkeypatch.setenv("AUDIENCE_TUI_SANDBOX_DB", str(path))
    sandbox = Sandbox.start(Store.open(path, big_lists=False), FaultSpec())
    yield sandbox
    sandbox.store.close()


@pytest.fixture
async def provider_for(sandbox: Sandbox) -> AsyncIterator[Callable[[str], Provider]]:
    """provider_for("emma") -> the demo account's adapter, connected to this test's sandbox."""
    made: list[Provider] = []
    accounts = {account.platform: (account, secrets) for account, secrets in demo_accounts()}

    def make(platform: str, **options: object) -> Provider:
        account, secrets = accounts[platform]
        provider = create(account, secrets, transport=sandbox.transport, **options)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.aclose()


@pytest.fixture
async def heyloyalty_api(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client of the Heyloyalty sandbox, signed with the demo credentials."""
    from audience_tui.providers.heyloyalty.wire import HeyloyaltyAuth
    from audience_tui.sandbox.heyloyalty.routes import DEMO_SECRETS, PREFIX

    auth = HeyloyaltyAuth(DEMO_SECRETS["api_key"], DEMO_SECRETS["api_secret"])
    async with httpx.AsyncClient(
        transport=sandbox.transport, base_url=f"http://sandbox.invalid{PREFIX}", auth=auth
    ) as client:
        yield client


@pytest.fixture
async def session(sandbox: Sandbox) -> AsyncIterator[Session]:
    """The demo accounts' session over this test's sandbox."""
    session = demo_session(sandbox)
    yield session
    await session.aclose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(sandbox_template: Path, tmp_path: Path) -> Iterator[str]:
    """`audience-tui sandbox serve` in a subprocess; yields its base URL."""
    db = tmp_path / "served.sqlite"
    copy_store(sandbox_template, db)
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
