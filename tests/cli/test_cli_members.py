"""`members` and friends as a Unix tool: streaming, empty results, limits, sorting, statuses,
labels and the CSV formula guard, against the in-process sandbox."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

import pytest

from audience_tui.cli import build_parser, main
from audience_tui.commands.browse import run_members
from audience_tui.commands.context import Context
from audience_tui.core.models import Audience, Page, PageRequest, Query
from audience_tui.demo import Sandbox, demo_session


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--demo", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def jsonl(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


class Watched(io.StringIO):
    """stdout that says when the first member row was written (after the header)."""

    def __init__(self) -> None:
        super().__init__()
        self.first_row = asyncio.Event()
        self.lines = 0

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        if self.lines > 1:
            self.first_row.set()
        return super().write(text)


async def test_members_are_written_before_the_last_page_is_fetched(sandbox: Sandbox) -> None:
    """The last page is held back until a row is out: collecting every page first would hang."""
    args = build_parser().parse_args(["--demo", "members", "demo-emma", "All members"])
    out = Watched()
    ctx = Context(args, out=out, err=io.StringIO())
    provider = ctx.session.provider("demo-emma")
    fetch, fetched = provider.members, []

    async def members(audience: Audience, query: Query, page: PageRequest) -> Page:
        result = await fetch(audience, query, page)
        if result.total is not None and page.offset + page.limit >= result.total:
            await asyncio.wait_for(out.first_row.wait(), 30)
        fetched.append(page.offset)
        return result

    provider.members = members  # type: ignore[method-assign]
    assert await ctx.run(run_members) == 0
    total = (await demo_session(sandbox).audience("demo-emma", "all")).member_count
    assert len(out.getvalue().splitlines()) == 1 + total
    assert len(fetched) > 2


async def test_members_asks_for_pages_without_documents(sandbox: Sandbox) -> None:
    """The rows never read a member's platform document, and pages of them in flight held
    ~3 KB a member of it (a 1M list's command peaked at 140-155 MB, 108-110 MB without)."""
    args = build_parser().parse_args(["--demo", "members", "demo-heyloyalty", "Newsletter DK"])
    out = io.StringIO()
    ctx = Context(args, out=out, err=io.StringIO())
    provider = ctx.session.provider("demo-heyloyalty")
    fetch, asked = provider.members, []

    async def members(audience: Audience, query: Query, page: PageRequest) -> Page:
        asked.append(page)
        return await fetch(audience, query, page)

    provider.members = members  # type: ignore[method-assign]
    assert await ctx.run(run_members) == 0
    assert asked and not any(page.raw for page in asked)
    assert len(out.getvalue().splitlines()) > 1


@pytest.mark.parametrize("fmt", ["table", "csv", "jsonl"])
def test_empty_result_prints_the_header_and_says_so(
    fmt: str, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "members", "demo-heyloyalty", "Newsletter DK",
        "--filter", "email eq nobody@example.invalid", "--format", fmt,
    )  # fmt: skip
    assert code == 0
    assert err.strip().splitlines()[-1] == "no members match"
    if fmt == "jsonl":
        assert out == ""
    else:
        header = out.splitlines()
        assert len(header) == 1
        assert header[0].casefold().split(",")[:5] == [
            "account",
            "list",
            "id",
            "email",
            "status",
        ] or header[0].split()[:5] == ["ACCOUNT", "LIST", "ID", "EMAIL", "STATUS"]


def test_limit_zero_prints_no_member_and_negative_is_a_usage_error(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "members", "demo-emma", "All members", "--limit", "0", "--format", "csv"
    )
    assert code == 0 and out.splitlines() == [out.splitlines()[0]] and "email" in out
    assert "no members match" not in err
    with pytest.raises(SystemExit) as info:
        main(["--demo", "members", "demo-emma", "All members", "--limit", "-5"])
    assert info.value.code == 2
    assert "negative" in capsys.readouterr().err


def test_sort_takes_a_leading_dash(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    names = {}
    for spelling in (["--sort", "-name"], ["--sort=-name"], ["--sort", "name"]):
        code, out, err = run(
            capsys, "members", "demo-heyloyalty", "Newsletter DK", *spelling,
            "--limit", "20", "--format", "jsonl",
        )  # fmt: skip
        assert code == 0, err
        names[" ".join(spelling)] = [row["firstname"] for row in jsonl(out)]
    descending = names["--sort -name"]
    assert descending == names["--sort=-name"] == sorted(descending, reverse=True)
    assert names["--sort name"] == sorted(names["--sort name"])
    assert descending != names["--sort name"]


@pytest.mark.parametrize("spelling", ["opted_out", "opted-out", "Opted out", "unsubscribed"])
def test_status_spellings_on_a_platform_that_cannot_list_them(
    spelling: str, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "members", "demo-kajabi", "Photo Masterclass", "--status", spelling,
        "--limit", "5", "--format", "jsonl",
    )  # fmt: skip
    rows = jsonl(out)
    assert code == 0, err
    assert len(rows) == 5 and {row["status"] for row in rows} == {"opted_out"}
    assert "checks each member's status" in err


def test_status_words_per_surface(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["members", "demo-heyloyalty", "Newsletter DK", "--status", "opted_out", "--limit", "1"]
    _, table, _ = run(capsys, *argv)
    _, csv_out, _ = run(capsys, *argv, "--format", "csv")
    assert "opted out" in table.splitlines()[1]
    assert next(csv.DictReader(io.StringIO(csv_out)))["status"] == "opted_out"
    with pytest.raises(SystemExit):
        main(["--demo", *argv[:-2], "--status", "gone"])
    assert "unknown status" in capsys.readouterr().err


def test_choice_fields_print_labels_and_raw_keeps_ids(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["members", "demo-heyloyalty", "Newsletter DK", "--limit", "50", "--format", "jsonl"]
    _, out, _ = run(capsys, *argv)
    _, raw, _ = run(capsys, *argv, "--raw")
    labels, ids = jsonl(out), jsonl(raw)
    assert {row["sex"] for row in labels} - {None} <= {"Male", "Female"}
    assert {row["sex"] for row in ids} - {None} <= {1, 2, "1", "2"}
    assert any(not str(row["country"]).isdigit() for row in labels if row["country"])


def test_formula_guard_is_said_and_can_be_turned_off(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["members", "demo-heyloyalty", "Newsletter DK", "--limit", "5", "--format", "csv"]
    _, guarded, _ = run(capsys, *argv)
    _, plain, _ = run(capsys, *argv, "--no-formula-guard")
    phones = [row["mobile"] for row in csv.DictReader(io.StringIO(guarded))]
    assert phones and all(phone.startswith("'+") for phone in phones)
    assert [row["mobile"] for row in csv.DictReader(io.StringIO(plain))] == [p[1:] for p in phones]
    with pytest.raises(SystemExit):
        main(["members", "--help"])
    assert "--no-formula-guard" in capsys.readouterr().out


def test_aggregate_help_shows_aggregate_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["aggregate", "--help"])
    examples = capsys.readouterr().out.split("examples:")[1]
    assert "aggregate demo-" in examples and "members demo-" not in examples


async def test_a_scan_left_early_leaves_no_page_running(sandbox: Sandbox) -> None:
    """Closing `pages` closes the walks under it: the pages fetched ahead are cancelled at once,
    not when the event loop shuts down (after the session's client is closed)."""
    from contextlib import aclosing

    from audience_tui.core.scan import pages, prepare

    session = demo_session(sandbox)
    try:
        provider = session.provider("demo-emma")
        view = await prepare(provider, await session.audience("demo-emma", "all"), Query())
        async with aclosing(pages(view)) as stream:
            async for _ in stream:
                break

        def running() -> list[asyncio.Task[Any]]:
            return [
                task
                for task in asyncio.all_tasks()
                if "members" in task.get_coro().__qualname__
                and not task.done()
                and not task.cancelling()
            ]

        assert running() == []
    finally:
        await session.aclose()


def test_lists_say_when_a_count_leaves_statuses_out(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """Heyloyalty counts its active members only: the whole is said beside it; Ownpage's and
    Emma's counts are every member already."""
    _, out, _ = run(capsys, "lists", "demo-heyloyalty", "--format", "jsonl")
    heyloyalty = jsonl(out)
    assert all(row["all_statuses"] > row["members"] for row in heyloyalty)
    _, table, _ = run(capsys, "lists", "demo-heyloyalty")
    first = heyloyalty[0]
    assert f"{first['members']:,} active of {first['all_statuses']:,}" in table
    for account in ("demo-ownpage", "demo-emma"):
        _, out, _ = run(capsys, "lists", account, "--format", "jsonl")
        assert {row["all_statuses"] for row in jsonl(out)} == {None}


@pytest.mark.parametrize("spelling", ["opted_out", "opted-out", "Opted out", "Opt-out", "o"])
def test_a_status_field_takes_every_spelling_of_its_options(
    spelling: str, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """Emma's own Status field says 'Opt-out'; the app's word for it is accepted too."""
    code, out, err = run(
        capsys, "aggregate", "demo-emma", "All members", "status",
        "--filter", f"status eq {spelling}", "--format", "jsonl",
    )  # fmt: skip
    assert code == 0, err
    assert [row["value"] for row in jsonl(out)] == ["Opt-out"]


def test_members_without_an_email_are_counted_in_a_note(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """A filtered Placewise view comes from its Reporting API, which holds no personal data:
    the rows were written with empty emails and names, and nothing said so."""
    code, out, err = run(
        capsys, "members", "demo-placewise", "infinity-mall", "--filter", "gender eq woman",
        "--format", "csv",
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and rows and not any(r["email"] for r in rows)
    assert f"note: {len(rows):,} of the members written have no email" in err
    code, out, err = run(capsys, "members", "demo-placewise", "infinity-mall", "--format", "csv")
    assert code == 0 and all(r["email"] for r in csv.DictReader(io.StringIO(out)))
    assert "have no email" not in err
