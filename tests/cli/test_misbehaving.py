"""The CLI against a misbehaving server of the tests' own (tests/misbehaving.py), as a matrix of
fault x platform x command: whatever the platform answers, a command ends within a bounded number
of requests, with the documented exit code (3 for refused credentials whichever request met them,
4 for everything the platform got wrong, never 5 "not found" for an account it could not search),
in words, without a traceback and without a byte of the server's escape sequences on the terminal.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from misbehaving import Misbehaving, serving

from audience_tui.bootstrap import Sleep
from audience_tui.cli import main
from audience_tui.core import aggregate, scan
from audience_tui.core.accounts import AccountStore
from audience_tui.core.errors import PagingError
from audience_tui.core.models import Audience, Query
from audience_tui.core.platforms import create
from audience_tui.sandbox.store import Store, copy_store

PLATFORMS = ["heyloyalty", "emma", "ownpage", "kajabi", "placewise"]
EMAIL = "henrik.johnsen2100@mail.example.no"
# fault: (the exit code once the fault was met, words the error must hold)
FAULTS = {
    "401": (3, "HTTP 401"),
    "403": (3, "HTTP 403"),
    "nested": (4, "nested too deeply"),
    "garbage": (4, "not valid JSON"),
    "redirect": (4, "redirected to http://127.0.0.1"),
    "escape_422": (4, "HTTP 422"),  # members: 2 (the platform refused the request as invalid)
}
MEMBER_PATHS = ("members", "subscribers", "contacts")
LIST = {  # a list of several pages on each platform (by name)
    "heyloyalty": "Newsletter DK",
    "emma": "All members",
    "ownpage": "Le Quotidien",
    "kajabi": "Photo Masterclass",
    "placewise": "Infinity Mall",
}


@pytest.fixture(scope="module")
def server(
    sandbox_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Misbehaving]:
    path = tmp_path_factory.mktemp("misbehaving") / "sandbox.sqlite"
    copy_store(sandbox_template, path)
    store = Store.open(path, big_lists=False)
    with serving(store, cap=300) as app:
        yield app
    store.close()


@pytest.fixture
def cli(server: Misbehaving, capsys: pytest.CaptureFixture[str]):
    """Run the CLI against the server's accounts: (exit code, stdout, stderr)."""
    store = AccountStore()
    for account, secrets in server.accounts():
        store.add(replace(account, name=account.platform, demo=False), secrets)
    server.set("none")

    def run(*argv: str, sleep: Sleep | None = None) -> tuple[int, str, str]:
        code = main(list(argv), sleep=sleep)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def command(name: str, platform: str) -> list[str]:
    account = platform
    return {
        "lookup": ["lookup", EMAIL, "--account", account],
        "optout": ["optout", EMAIL, "--account", account, "--yes"],
        "members": ["members", account, LIST[platform], "--format", "csv"],
    }[name]


def assert_safe(server: Misbehaving, code: int, out: str, err: str) -> None:
    assert len(server.requests) < server.cap, "the client did not stop"
    assert code != 1 and "Traceback" not in err, err  # classified, not a crash
    assert "\x1b" not in out + err and "\x07" not in out + err


@pytest.mark.parametrize("name", ["lookup", "optout", "members"])
@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_platform_command(server: Misbehaving, cli, fault: str, platform: str, name: str):
    server.set(fault)
    code, out, err = cli(*command(name, platform))
    assert_safe(server, code, out, err)
    expected, words = FAULTS[fault]
    if fault == "escape_422" and name == "members":
        expected = 2
    assert code == expected, err
    assert words in err


@pytest.mark.parametrize("name", ["lookup", "optout", "members"])
@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("status", ["401", "403"])
def test_refused_credentials_on_a_later_request_are_still_3(
    server: Misbehaving, cli, status: str, platform: str, name: str
) -> None:
    server.set(status, after=1)  # the first request passes; the next one is refused
    code, out, err = cli(*command(name, platform))
    assert_safe(server, code, out, err)
    if server.fault.seen > 1:  # the command made a second request, which met the refusal
        assert code == 3, err


@pytest.mark.parametrize("fault", ["total", "repeat"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_lying_pages_end_with_what_the_platform_did(
    server: Misbehaving, cli, monkeypatch: pytest.MonkeyPatch, fault: str, platform: str
) -> None:
    monkeypatch.setattr(scan, "page_size", lambda provider: 100)  # several pages on every list
    server.set(fault)
    code, out, err = cli(*command("members", platform))
    assert_safe(server, code, out, err)
    assert code == 4, err
    assert any(words in err for words in ("already sent", "did not advance", "pages end after"))
    rows = out.splitlines()[1:]
    ids = [row.split(",")[2] for row in rows]
    assert len(ids) == len(set(ids))  # never a member twice


def pages_of(audience: Audience, size: int) -> int:
    """Pages of `size` the whole list takes."""
    return math.ceil((audience.member_count or 0) / size)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_field_scan_stops_at_the_first_repeated_page(
    server: Misbehaving, monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    """A chart's scan of one field (Provider.column, where no member is made) sees a platform
    that answers every page with its first one, as the member walks do: it stops there."""
    size = 20  # many more pages than the scan asks for at once, on every list
    monkeypatch.setattr(scan, "page_size", lambda provider: size)
    account, secrets = next((a, s) for a, s in server.accounts() if a.platform == platform)
    provider = create(account, secrets)
    try:
        audiences = await provider.audiences()
        audience = next(a for a in audiences if a.name == LIST[platform])
        view = await scan.prepare(provider, audience, Query())
        spec = next(spec for spec in view.fields if spec.name != "email")
        server.set("repeat")
        with pytest.raises(PagingError) as raised:
            await aggregate.scan(view, spec)
    finally:
        await provider.aclose()
    assert any(words in str(raised.value) for words in ("already sent", "did not advance"))
    # The first page and one window asked ahead, each with at most one request for the total
    # (Ownpage's counts, Emma's count=true), no more; the whole list is several times that.
    # Which of them reach the server before the scan stops and cancels the rest depends on
    # scheduling (under load all of them), so this is a bound, not a count.
    window = 2 * provider.capabilities.scan_concurrency
    assert 0 < len(server.requests) <= 2 * (1 + window) < pages_of(audience, size)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_lookup_and_optout_never_say_not_found_for_an_account_not_searched(
    server: Misbehaving, cli, platform: str
) -> None:
    server.set("escape_422", matches=lambda method, path: path.startswith(f"/{platform}"))
    for name in ("lookup", "optout"):
        code, out, err = cli(name, EMAIL, "--yes" if name == "optout" else "--format=table")
        assert_safe(server, code, out, err)
        assert code == 4, err
        assert f"{platform}: could not be searched" in err
        assert "not found" not in err


@pytest.mark.parametrize("fmt", ["table", "csv", "jsonl"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_lone_surrogates_in_names_never_stop_a_list_printing(
    server: Misbehaving, cli, platform: str, fmt: str
) -> None:
    # every member's name starts with a `\ud800` escape (the lists keep theirs)
    server.set("hostile_names", matches=lambda method, path: path.endswith(MEMBER_PATHS))
    code, out, err = cli(*command("members", platform)[:-1], fmt)
    assert_safe(server, code, out, err)
    assert code == 0, err
    out.encode("utf-8")  # what a UTF-8 terminal or file receives: no lone surrogate
    assert len(out.splitlines()) > 10


def emma_lookup(method: str, path: str) -> bool:
    return path.startswith("/emma/") and "/members/email/" in path


def test_a_lookup_keeps_retrying_a_busy_platform_within_its_deadline(
    server: Misbehaving, cli
) -> None:
    """Emma's lookup answered 429 (Retry-After: 1) six times in a row, more than Emma's retry
    policy tries: a lookup is a read with a 10 s deadline, so it goes on retrying (each wait
    the Retry-After asked) and finds the person, where it used to say "could not be searched"."""
    waits: list[float] = []

    async def waited(seconds: float) -> None:
        waits.append(seconds)  # recorded, not slept

    server.set("busy", times=6, matches=emma_lookup)
    code, out, err = cli("lookup", EMAIL, "--account", "emma", "--format", "csv", sleep=waited)
    assert code == 0, err
    assert EMAIL in out and "could not be searched" not in err
    assert sum(1 for r in server.requests if "/members/email/" in r) == 7
    assert len(waits) >= 6 and min(waits) >= 1.0 and sum(waits) < 10


def test_a_lookup_that_stays_busy_ends_with_the_platforms_answer(server: Misbehaving, cli) -> None:
    """A platform busy for good: the retries stop (a bounded number of tries, no wait past the
    deadline) and the account is named as not searched, with the 429 as the reason (exit 4)."""

    async def waited(seconds: float) -> None:
        pass

    server.set("busy", matches=emma_lookup)
    code, _, err = cli("lookup", EMAIL, "--account", "emma", sleep=waited)
    assert code == 4, err
    assert "emma: could not be searched" in err and "HTTP 429" in err
    assert sum(1 for r in server.requests if "/members/email/" in r) == 12
