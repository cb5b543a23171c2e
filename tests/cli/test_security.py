"""Secrets: a whole session with known credentials against the sandbox served on loopback, then a
scan of everything the app wrote (accounts file, logs, audit, exports, crash reports, output) and of
the process list for them; https enforced for remote hosts; crash output redacted."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tui_helpers import record_last_words

from audience_tui.cli import main
from audience_tui.core.crash import crash_dir
from audience_tui.core.errors import ConfigError
from audience_tui.core.models import Account
from audience_tui.core.platforms import adapter_class, create
from audience_tui.core.secret_store import env_var
from audience_tui.core.session import Session
from audience_tui.demo import Sandbox, demo_session
from audience_tui.sandbox.app import platform_module
from audience_tui.sandbox.people import person
from audience_tui.tui.app import AudienceApp

ROOT = Path(__file__).resolve().parents[2]
PLATFORMS = ("heyloyalty", "ownpage", "kajabi")


def demo_secrets(platforms: tuple[str, ...]) -> dict[str, dict[str, str]]:
    return {p: dict(platform_module(p).DEMO_SECRETS) for p in platforms}


def files_under(*roots: Path) -> Iterator[Path]:
    for root in roots:
        if root.exists():
            yield from (p for p in root.rglob("*") if p.is_file())


def leaks(secrets: set[str], *texts: bytes) -> list[str]:
    return [s for s in secrets for text in texts if s.encode() in text]


def cli(home_env: dict[str, str], *args: str, stdout: Path | None = None) -> tuple[int, str, str]:
    """`audience-tui ARGS` in a fresh process (secrets from the environment, never argv); while it
    runs, its command line is read from the process list."""
    with subprocess.Popen(
        [sys.executable, "-m", "audience_tui", "--debug", *args],
        env=home_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        out, err = process.communicate(timeout=60)
    if stdout is not None:
        stdout.write_bytes(out)
    return process.returncode, (out + b"\0" + cmdline).decode("utf-8", "replace"), err.decode()


def test_a_session_with_known_secrets_leaves_none_behind(
    served: str,
    isolated_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secrets = demo_secrets(PLATFORMS)
    known = {value for values in secrets.values() for value in values.values()}
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    for platform in PLATFORMS:
        name = f"my-{platform}"
        module = platform_module(platform)
        lines = [
            secrets[platform][spec.key]
            for spec in adapter_class(platform).credentials
            if spec.secret
        ]
        monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
        settings = [f"--set={k}={v}" for k, v in module.DEMO_SETTINGS.items()]
        base = f"--base-url={served}{module.PREFIX}"
        assert main(["accounts", "add", platform, name, base, *settings, "--secret-stdin"]) == 0
        env[env_var(name)] = json.dumps(secrets[platform])  # the child processes' secrets
    outputs = [capsys.readouterr()]

    email = person(2500).email
    export = tmp_path / "export.csv"
    runs = [
        cli(env, "accounts", "list"),
        cli(env, "lists", "my-ownpage"),
        cli(env, "members", "my-kajabi", "Yoga Academy", "--limit", "30", "--format", "csv",
            stdout=export),
        cli(env, "lookup", email, "--format", "jsonl"),
        cli(env, "optout", email, "--yes"),
        cli(env, "accounts", "test", "my-heyloyalty"),
    ]  # fmt: skip
    assert [code for code, _, _ in runs] == [0, 0, 0, 0, 0, 0], [r[2][-300:] for r in runs]
    assert export.read_text().count("\n") == 31

    # a defect while secrets are loaded: the user sees one redacted line and a report's path
    async def defect(self: Session, *args: object, **kw: object) -> None:
        token = secrets["ownpage"]["api_key"]
        raise RuntimeError(f"adapter defect holding {token}")

    monkeypatch.setattr(Session, "lookup", defect)
    assert main(["lookup", email]) == 1
    crashed = capsys.readouterr()
    assert "unexpected error (RuntimeError)" in crashed.err and "details in" in crashed.err
    outputs.append(crashed)
    reports = list(files_under(crash_dir()))
    assert reports and "adapter defect" in reports[0].read_text()

    with sqlite3.connect(tmp_path / "served.sqlite") as db:  # the served sandbox
        known |= {row[0] for row in db.execute("SELECT token FROM ownpage_tokens")}
    served_cmdline = b"".join(
        Path(f"/proc/{pid}/cmdline").read_bytes()
        for pid in os.listdir("/proc")
        if pid.isdigit() and Path(f"/proc/{pid}/cmdline").exists()
        and b"sandbox\0serve" in Path(f"/proc/{pid}/cmdline").read_bytes()
    )  # fmt: skip
    written = [p.read_bytes() for p in files_under(isolated_home)]  # config, state, cache, data
    assert any(p.name == "accounts.toml" for p in files_under(isolated_home))
    assert any(p.name.startswith("audit") for p in files_under(isolated_home))
    texts = [
        *written,
        export.read_bytes(),
        served_cmdline,
        *(f"{o.out}{o.err}".encode() for o in outputs),
        *(f"{out}{err}".encode() for _, out, err in runs),
    ]
    assert not leaks(known, *texts)


def test_snapshots_and_screenshots_hold_no_demo_secret() -> None:
    every = demo_secrets(("placewise", "ownpage", "kajabi", "emma", "heyloyalty"))
    known = {value for values in every.values() for value in values.values()}
    images = list(files_under(*(ROOT / "tests").glob("*/__snapshots__"), ROOT / "screenshots"))
    assert images
    assert not leaks(known, *(p.read_bytes() for p in images))


def test_remote_hosts_need_https(isolated_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secrets = demo_secrets(("kajabi",))["kajabi"]
    settings = dict(platform_module("kajabi").DEMO_SETTINGS)
    for url in ("http://api.example.com", "http://10.0.0.5:8080/kajabi"):
        account = Account(name="k", platform="kajabi", base_url=url, settings=settings)
        with pytest.raises(ConfigError, match="must use https"):
            create(account, secrets)
    for url in ("https://api.example.com", "http://127.0.0.1:9/kajabi", "http://[::1]:9"):
        account = Account(name="k", platform="kajabi", base_url=url, settings=settings)
        assert create(account, secrets).base_url == url
    # an accounts file edited by hand: the command refuses before any request is made
    config = isolated_home / "config" / "audience-tui"
    config.mkdir(parents=True, exist_ok=True)
    (config / "accounts.toml").write_text(
        'version = 1\n[accounts.plain]\nplatform = "kajabi"\nbase_url = "http://api.example.com"\n'
        '[accounts.plain.settings]\nclient_id = "x"\n'
    )
    os.environ[env_var("plain")] = json.dumps(secrets)
    try:
        code = main(["lists", "plain"])
    finally:
        del os.environ[env_var("plain")]
    err = capsys.readouterr().err
    assert code == 2 and "must use https" in err and secrets["client_secret"] not in err


async def test_the_apps_crash_output_is_redacted(sandbox: Sandbox) -> None:
    session = demo_session(sandbox)
    secret = demo_secrets(("emma",))["emma"]["private_key"]
    session.provider("demo-emma")  # its secrets are loaded (and registered for redaction)
    app = AudienceApp(session)
    shown = record_last_words(app)

    def defect() -> None:
        credentials = {"private_key": secret}  # a local Textual would print
        raise RuntimeError(f"defect near {credentials['private_key']}")

    with pytest.raises(RuntimeError):
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.call_later(defect)
            await pilot.pause()
    await session.aclose()
    text = "".join(shown)
    assert "unexpected error (RuntimeError): defect near ***" in text, text
    assert secret not in text and "credentials" not in text
    report = next(files_under(crash_dir()))
    assert secret not in report.read_text() and "defect near ***" in report.read_text()
