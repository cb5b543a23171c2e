"""The scriptable CLI end to end against the in-process sandbox (`--demo`)."""

from __future__ import annotations

import asyncio
import io
import json
import time
from pathlib import Path

import pytest

from audience_tui.cli import main
from audience_tui.core.audit import AuditLog
from audience_tui.core.counts import list_counts
from audience_tui.core.models import Aggregate, Bucket
from audience_tui.demo import Sandbox, demo_session
from audience_tui.sandbox.people import person


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--demo", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def shared_email(sandbox: Sandbox) -> str:
    """An email that is active on two or more demo platforms."""

    async def find() -> str | None:
        session = demo_session(sandbox)
        try:
            for index in range(200):
                email = person(index).email
                results = await session.lookup(email)
                if sum(1 for r in results if r.members) >= 2:
                    return email
        finally:
            await session.aclose()
        return None

    email = asyncio.run(find())
    if email is None:
        pytest.fail("no demo person is on two platforms")
    return email


def test_lists_jsonl_has_stable_keys(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "lists", "demo-heyloyalty", "--format", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and rows
    assert all({"id", "name", "members"} <= row.keys() for row in rows)


@pytest.mark.parametrize("platform", ["heyloyalty", "emma", "ownpage", "kajabi", "placewise"])
def test_members_of_every_platform(
    platform: str, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "lists", f"demo-{platform}", "--format", "jsonl")
    first = json.loads(out.splitlines()[0])
    code, out, err = run(
        capsys, "members", f"demo-{platform}", first["id"], "--limit", "7", "--format", "jsonl"
    )
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0, err
    assert len(rows) == 7
    assert list(rows[0])[:5] == ["account", "list", "id", "email", "status"]
    assert rows[0]["account"] == f"demo-{platform}"


def test_members_app_side_filter_is_announced_and_applied(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "members",
        "demo-emma",
        "All members",
        "--filter",
        "email ct .org",
        "--limit",
        "20",
        "--format",
        "jsonl",
    )
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0, err
    assert rows and all(".org" in row["email"] for row in rows)
    assert "page by page" in err


def test_bad_filter_value_is_refused_before_any_request(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "members", "demo-emma", "All members", "--filter", "email gt x")
    assert code == 2
    assert "does not apply" in err


def test_lookup_finds_a_person_on_several_platforms(
    shared_email: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "lookup", shared_email, "--format", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert len({row["platform"] for row in rows}) >= 2
    assert {row["email"].casefold() for row in rows} == {shared_email.casefold()}


def test_lookup_unknown_and_invalid(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "lookup", "nobody-at-all@example.invalid")
    assert code == 5 and "not found" in err
    code, _, err = run(capsys, "lookup", "not an email")
    assert code == 2 and "not an email address" in err


def test_optout_everywhere_confirms_and_audits(
    shared_email: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, out, err = run(capsys, "optout", shared_email)
    assert code == 2 and "--yes" in err  # no terminal, no --yes: nothing sent
    code, out, _ = run(capsys, "optout", shared_email, "--dry-run")
    assert code == 0 and "dry run" in out
    code, out, err = run(capsys, "optout", shared_email, "--yes")
    assert code == 0, err
    assert out.count("opted out (read back") >= 2
    actions = [e["action"] for e in AuditLog().read()]
    assert actions.count("opt_out.attempt") == actions.count("opt_out.confirmed") >= 2
    code, out, _ = run(capsys, "optout", shared_email, "--yes")
    assert code == 0 and "already opted out" in out
    code, out, _ = run(capsys, "lookup", shared_email, "--format", "jsonl")
    assert {json.loads(line)["status"] for line in out.splitlines()} == {"opted_out"}


def test_aggregate_prints_counts(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "lists", "demo-ownpage", "--format", "jsonl")
    first = json.loads(out.splitlines()[0])
    code, out, err = run(
        capsys, "aggregate", "demo-ownpage", first["id"], "subscribed", "--format", "jsonl"
    )
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0, err
    assert sum(row["members"] for row in rows) > 0


def test_aggregate_percentages_add_up_to_exactly_100(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three values of one member each: 33.4, 33.3 and 33.3 percent, not 99.9 in all."""
    from audience_tui.commands import browse

    async def thirds(view: object, field: str) -> Aggregate:
        return Aggregate(field, [Bucket("a", 1), Bucket("b", 1), Bucket("c", 1)], total=3)

    monkeypatch.setattr(browse, "aggregate", thirds)
    _, out, _ = run(capsys, "lists", "demo-ownpage", "--format", "jsonl")
    first = json.loads(out.splitlines()[0])
    code, out, err = run(
        capsys, "aggregate", "demo-ownpage", first["id"], "subscribed", "--format", "jsonl"
    )
    assert code == 0, err
    assert [json.loads(line)["percent"] for line in out.splitlines()] == [33.4, 33.3, 33.3]


@pytest.mark.usefixtures("quick_import_polls")
def test_import_dry_run_then_real(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("email,first_name\nnew.person@example.com,New\nbroken,Nope\n")
    code, out, _ = run(capsys, "import", "demo-emma", "All members", str(csv_file), "--dry-run")
    assert code == 0 and "1 row(s) to import" in out and "line 3: rejected" in out
    code, out, err = run(capsys, "import", "demo-emma", "All members", str(csv_file), "--yes")
    assert code == 0, err
    code, out, _ = run(capsys, "lookup", "new.person@example.com", "--account", "demo-emma")
    assert code == 0 and "new.person@example.com" in out


def test_bad_faults_spec_is_a_usage_error(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--faults", "explode=1", "lists", "demo-emma")
    assert code == 2 and "unknown fault" in err


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("429=2", "fault '429': a share is between 0 and 1, not 2"),  # as typed, not rate_limit
        ("429", "fault '429' needs a value, e.g. 429=0.1"),  # known, only the value missing
        ("latency=", "fault 'latency' needs a value, e.g. latency=50ms"),
        ("seed=abc", "fault 'seed': 'abc' is not a whole number"),  # not int()'s own words
        ("latency=-5", "fault 'latency': '-5' is not a number of 0 or more"),
    ],
)
def test_a_bad_faults_value_is_named_as_typed_with_what_to_write(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], spec: str, said: str
) -> None:
    code, _, err = run(capsys, "--faults", spec, "lists", "demo-emma")
    assert code == 2 and f"error: --faults: {said}" in err


def test_no_accounts_without_demo_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["lookup", "a@example.com"])
    assert code == 2
    assert "accounts add" in capsys.readouterr().err


def test_help_teaches(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["members", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "FIELD OP VALUE" in out and "examples:" in out


@pytest.mark.parametrize(
    ("account", "audience", "extra"),
    [
        ("demo-heyloyalty", "Webshop customers", []),
        ("demo-placewise", "Infinity Mall", ["--no-wait"]),
    ],
)
def test_an_import_that_says_sent_lands_before_the_command_exits(
    account: str,
    audience: str,
    extra: list[str],
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("email,first_name\nlanded.person@example.com,Landed\n")
    code, out, err = run(capsys, "import", account, audience, str(csv_file), "--yes", *extra)
    assert code == 0, err
    code, out, err = run(capsys, "lookup", "landed.person@example.com", "--account", account)
    assert code == 0, err
    assert "landed.person@example.com" in out


def test_a_mapped_column_adds_to_the_columns_matched_by_name(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("email,firstname,city\nmapped.person@example.com,Mapped,Oslo\n")
    argv = ["import", "demo-emma", "All members", str(csv_file), "--dry-run"]
    code, out, err = run(capsys, *argv, "--map", "firstname=first_name")
    assert code == 0, err
    assert "email -> email, firstname -> first_name, city -> city" in out
    code, _, err = run(capsys, *argv, "--map", "surname=last_name")
    assert code == 2 and "no column 'surname'" in err


def test_lookup_labels_are_read_by_the_lookups_deadline(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Field labels that never come are waited for until the lookup's deadline, once: not a
    deadline's worth again for each list the person is on (a lookup under faults took 14 s)."""
    from audience_tui.commands import browse
    from audience_tui.core import deadlines
    from audience_tui.providers.heyloyalty.adapter import HeyloyaltyProvider

    async def never(self: object, audience: object) -> list[object]:
        await asyncio.Event().wait()
        return []

    ends: list[float] = []

    def within(seconds: float, action: str, work: object) -> object:
        ends.append(time.monotonic() + seconds)  # when this wait gives up
        return deadlines.within(seconds, action, work)  # type: ignore[arg-type]

    monkeypatch.setattr(HeyloyaltyProvider, "fields", never)
    monkeypatch.setattr(browse, "within", within)
    monkeypatch.setattr(deadlines, "LOOKUP", 3.0)
    email = person(1300).email  # on several Heyloyalty lists
    code, out, err = run(capsys, "lookup", email, "--account", "demo-heyloyalty", "--format", "csv")
    assert code == 0, err
    assert len(out.splitlines()) > 2  # the header and a row per list, with the lists' names
    assert max(ends) - min(ends) < 0.5  # every wait ends at the one deadline


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("lookup", "someone@example.com"), "could not be searched: no answer within"),
        (("optout", "someone@example.com", "--yes"), "could not be searched: no answer within"),
        (("lists", "demo-emma"), "demo-emma's lists"),
    ],
)
def test_deadlines_count_from_the_commands_start(
    sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: tuple[str, ...],
    words: str,
) -> None:
    """A command's deadline counts from when it was run, not from when the app was ready: one
    started a whole deadline ago answers at once with what it has (here nothing, every account
    healthy yet out of time), where it would otherwise wait a deadline more."""
    import audience_tui.cli

    class Started:
        """The clock cli.main reads when a command starts: a whole deadline and a second ago."""

        @staticmethod
        def monotonic() -> float:
            return time.monotonic() - 11

    monkeypatch.setattr(audience_tui.cli, "time", Started)
    code, _, err = run(capsys, *argv)
    assert code == 4, err
    assert words in err


def test_lists_count_their_wholes_within_what_is_left_of_the_deadline(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`lists` answers by its one deadline: the wholes of the counts (extra requests) get what
    the lists left of it, not 5 s more (under hangs, 10 s for the lists then 5 for the counts)."""
    from audience_tui.commands import browse
    from audience_tui.core import deadlines

    given: list[float] = []

    async def counts(provider: object, audiences: list[object], seconds: float) -> list[object]:
        given.append(seconds)
        return await list_counts(provider, audiences, seconds)  # type: ignore[arg-type]

    monkeypatch.setattr(browse, "list_counts", counts)
    monkeypatch.setattr(deadlines, "LISTS", 3.0)
    code, out, err = run(capsys, "lists", "demo-heyloyalty", "--format", "csv")
    assert code == 0, err
    assert len(out.splitlines()) > 1
    assert given and given[0] <= 3.0
