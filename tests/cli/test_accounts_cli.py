"""`audience-tui accounts ...` end to end through cli.main, verified against the in-process sandbox.

With --demo the Context hands verification the sandbox's in-process transport, so an account whose
base URL points at a loopback sandbox (`audience-tui sandbox serve`) is checked without a socket.
"""

from __future__ import annotations

import io
import json
import logging
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring

from audience_tui.cli import main
from audience_tui.commands.context import Context
from audience_tui.core.accounts import AccountStore
from audience_tui.core.secret_store import SERVICE, env_var
from audience_tui.demo import Sandbox
from audience_tui.sandbox.emma import routes as emma_sandbox
from audience_tui.sandbox.heyloyalty import routes as heyloyalty_sandbox

HL = heyloyalty_sandbox.DEMO_SECRETS
HL_LINES = f"{HL['api_key']}\n{HL['api_secret']}\n"
LOOPBACK = "http://127.0.0.1:8765"
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """run(*argv, stdin="") -> (exit code, stdout, stderr), --demo going to this test's sandbox."""
    monkeypatch.setattr(Context, "sandbox", property(lambda self: sandbox))

    def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def add_shop(cli: Run, *extra: str, stdin: str = HL_LINES) -> tuple[int, str, str]:
    return cli(
        "--demo", "accounts", "add", "heyloyalty", "shop-oslo",
        "--base-url", f"{LOOPBACK}/heyloyalty", "--secret-stdin", *extra, stdin=stdin,
    )  # fmt: skip


def test_add_list_test_remove(cli: Run, memory_keyring) -> None:
    code, out, err = add_shop(cli)
    assert (code, err) == (0, "")
    assert out == "added shop-oslo (Heyloyalty); its secrets are in the OS keyring\n"
    assert json.loads(memory_keyring.entries[(SERVICE, "shop-oslo")]) == HL

    code, out, _ = cli("accounts", "list")
    assert code == 0
    assert out.splitlines()[1].split() == ["shop-oslo", "Heyloyalty", f"{LOOPBACK}/heyloyalty"]

    code, out, _ = cli("--demo", "accounts", "test", "shop-oslo")
    assert (code, out) == (0, "ok      shop-oslo (Heyloyalty)\n")

    code, out, _ = cli("accounts", "remove", "shop-oslo")
    assert (code, out) == (0, "removed shop-oslo and its stored secrets\n")
    assert memory_keyring.entries == {}
    code, out, err = cli("accounts", "list")
    assert (code, out.strip()) == (0, "NAME  PLATFORM  HOST")
    assert "no accounts yet" in err
    code, _, err = cli("accounts", "test", "shop-oslo")
    assert code == 5 and "no account named 'shop-oslo'" in err


def test_add_asks_with_the_prompts(cli: Run, monkeypatch, memory_keyring) -> None:
    asked: list[str] = []
    answers = iter(emma_sandbox.DEMO_SECRETS.values())  # public key, then private key

    def prompt(self: Context, label: str) -> str:
        asked.append(label)
        return next(answers)

    monkeypatch.setattr(Context, "prompt_secret", prompt)
    account_id = emma_sandbox.DEMO_SETTINGS["account_id"]
    code, out, err = cli(
        "--demo", "accounts", "add", "emma", "emma-staging", "--base-url", f"{LOOPBACK}/emma",
        stdin=f"{account_id}\n",
    )  # fmt: skip
    assert code == 0, err
    assert out == "added emma-staging (Emma); its secrets are in the OS keyring\n"
    assert len(asked) == 2  # the two keys, hidden; the account id was asked visibly
    assert "ccount" in err  # the visible prompt went to stderr, stdout stays clean
    assert AccountStore().get("emma-staging").settings == {"account_id": account_id}
    assert json.loads(memory_keyring.entries[(SERVICE, "emma-staging")]) == dict(
        emma_sandbox.DEMO_SECRETS
    )


def test_wrong_credentials_exit_3_name_the_platform_and_save_nothing(
    cli: Run, memory_keyring
) -> None:
    code, out, err = add_shop(cli, stdin=f"{HL['api_key']}\nnot-the-secret-42\n")
    assert code == 3
    assert out == ""
    assert err.startswith("error: Heyloyalty refused the credentials of 'shop-oslo'")
    assert "nothing was saved" in err and "not-the-secret-42" not in err
    assert memory_keyring.entries == {}
    assert not AccountStore().path.exists()


def test_no_verify_saves_without_a_call_and_test_then_fails(cli: Run) -> None:
    code, _, _ = add_shop(cli, "--no-verify", stdin=f"{HL['api_key']}\nwrong-secret-77\n")
    assert code == 0
    code, out, _ = cli("--demo", "accounts", "test", "shop-oslo")
    assert code == 3
    assert out.startswith("FAILED  Heyloyalty refused the credentials of 'shop-oslo'")


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (("heyloyalty", "demo-mine"), HL_LINES, "kept for the sandbox"),
        (("heyloyalty", "shop", "--base-url", "http://proxy.example.com"), HL_LINES, "https"),
        (("heyloyalty", "shop", "--set", "api_secret=x"), HL_LINES, "never on the command line"),
        (("heyloyalty", "shop", "--set", "colour=red"), HL_LINES, "KEY one of: send_errors_to"),
        (("heyloyalty", "shop"), "only-one-line\n", "one line per secret: API key, API secret"),
        (("emma", "shop"), "a\nb\n", "pass --set account_id=VALUE"),
    ],
)
def test_usage_errors_exit_2_before_anything_is_saved(cli: Run, argv, stdin, message) -> None:
    code, _, err = cli("accounts", "add", *argv, "--secret-stdin", stdin=stdin)
    assert code == 2
    assert message in err
    assert not AccountStore().path.exists()


def test_accounts_needs_an_action() -> None:
    with pytest.raises(SystemExit) as info:
        main(["accounts"])
    assert info.value.code == 2


def test_demo_lists_and_tests_the_five_demo_accounts(cli: Run) -> None:
    code, out, _ = cli("--demo", "accounts", "list", "--format", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [r["name"] for r in rows] == [
        "demo-placewise", "demo-ownpage", "demo-kajabi", "demo-emma", "demo-heyloyalty",
    ]  # fmt: skip
    code, out, _ = cli("--demo", "accounts", "test")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["ok"] * 5
    code, _, err = cli("--demo", "accounts", "remove", "demo-emma")
    assert code == 2 and "built-in demo account" in err


@pytest.fixture
def no_keyring() -> None:
    keyring.set_keyring(FailKeyring())


def test_no_keyring_says_so_and_offers_the_two_ways_out(cli: Run, no_keyring, monkeypatch):
    code, out, err = add_shop(cli)
    assert code == 2
    assert "No working keyring" in err
    assert "AUDIENCE_TUI_SECRETS_SHOP_OSLO" in err and "--secrets-file" in err
    assert not AccountStore().path.exists()

    code, out, err = add_shop(cli, "--secrets-file")
    assert code == 0 and "secrets file" in out
    secrets_file = AccountStore().vault.path
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert cli("--demo", "accounts", "test", "shop-oslo")[0] == 0

    monkeypatch.setenv(env_var("env-shop"), json.dumps(HL))
    code, out, err = cli(
        "--demo", "accounts", "add", "heyloyalty", "env-shop", "--base-url",
        f"{LOOPBACK}/heyloyalty",
    )  # fmt: skip
    assert code == 0
    assert "using the secrets in AUDIENCE_TUI_SECRETS_ENV_SHOP" in err
    assert "environment variable AUDIENCE_TUI_SECRETS_ENV_SHOP" in out
    assert cli("--demo", "accounts", "test", "env-shop")[0] == 0
    code, _, err = cli("accounts", "remove", "env-shop")
    assert code == 0 and "still set in your environment" in err


def test_no_secret_reaches_the_accounts_file_logs_or_any_message(
    cli: Run, monkeypatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    texts = []
    for argv, stdin in [
        (("--debug", "--demo", "accounts", "add", "heyloyalty", "shop-oslo", "--base-url",
          f"{LOOPBACK}/heyloyalty", "--secret-stdin"), HL_LINES),
        (("--debug", "--demo", "accounts", "add", "heyloyalty", "bad", "--base-url",
          f"{LOOPBACK}/heyloyalty", "--secret-stdin"), f"{HL['api_secret']}\n{HL['api_key']}\n"),
        (("--debug", "--demo", "accounts", "add", "heyloyalty", "shop-oslo", "--secret-stdin"),
         HL_LINES),
        (("--debug", "--demo", "accounts", "add", "heyloyalty", "x y", "--secret-stdin"),
         HL_LINES),
        (("--debug", "--demo", "accounts", "test", "shop-oslo"), ""),
        (("--debug", "accounts", "list"), ""),
        (("--debug", "accounts", "remove", "shop-oslo"), ""),
    ]:  # fmt: skip
        texts += cli(*argv, stdin=stdin)[1:]
    keyring.set_keyring(FailKeyring())
    texts += add_shop(cli)[1:]
    monkeypatch.setenv(env_var("shop-oslo"), "not json " + HL["api_secret"])
    texts += cli("--demo", "accounts", "add", "heyloyalty", "shop-oslo")[1:]

    assert any("refused the credentials" in t for t in texts)  # the failures did happen
    assert any("No working keyring" in t for t in texts)
    assert any("POST" in r.getMessage() or "GET" in r.getMessage() for r in caplog.records)
    written = [p.read_text() for p in tmp_path.rglob("*.toml")]
    for secret in HL.values():
        for text in [*texts, caplog.text, *written]:
            assert secret not in text


def test_secrets_piped_without_the_flag_are_read_from_stdin(cli: Run, memory_keyring) -> None:
    """`printf ... | audience-tui accounts add`: no Python warning about echo, no prompt noise;
    too few lines is one error line, exit 2."""
    argv = ("--demo", "accounts", "add", "heyloyalty", "shop-oslo")
    base = ("--base-url", f"{LOOPBACK}/heyloyalty")
    code, out, err = cli(*argv, *base, stdin=HL_LINES)
    assert (code, err) == (0, "")
    assert out == "added shop-oslo (Heyloyalty); its secrets are in the OS keyring\n"
    assert json.loads(memory_keyring.entries[(SERVICE, "shop-oslo")]) == HL
    code, _, err = cli(*argv[:-1], "shop-bergen", *base, stdin=f"{HL['api_key']}\n")
    assert code == 2 and err == "error: no API secret on stdin (not a terminal): " + (
        "give each secret on a line of its own\n"
    )


def test_no_keyring_is_said_before_any_secret_is_asked(
    cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A machine with no keyring: `accounts add` says so (and what to do) before the person
    types the secrets, not after; --secrets-file still adds the account."""
    from keyring.backends.fail import Keyring as NoKeyring

    monkeypatch.setattr(keyring, "get_keyring", NoKeyring)
    asked: list[str] = []
    monkeypatch.setattr(Context, "prompt_secret", lambda self, label: asked.append(label) or "x")
    argv = ("--demo", "accounts", "add", "heyloyalty", "shop-oslo")
    code, _, err = cli(*argv, "--base-url", f"{LOOPBACK}/heyloyalty")
    assert code == 2 and asked == []
    assert err.startswith("error: No working keyring") and "--secrets-file" in err
    code, out, err = add_shop(cli, "--secrets-file")
    assert code == 0, err
    assert "secrets file" in out
