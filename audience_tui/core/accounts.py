"""The user's accounts: non-secret settings in a TOML file, secrets in the keyring.

The accounts file (`accounts.toml` under platformdirs' config dir) holds, per account, its platform,
optional base URL and the credential values that are not secret (Emma's account id, Placewise's
customer...). Secrets go through `SecretStore` and never reach this file: `add` refuses a secret
credential given as a setting. The same checks serve the command line and the TUI's form
(`problems`), so both refuse the same things with the same words.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs
import tomli_w

from .errors import ConfigError, NotFoundError, ValidationError
from .models import Account, CredentialSpec
from .platforms import NAMES, adapter_class
from .private_files import write_private
from .redact import register_secret
from .secret_store import SecretStore, env_var

log = logging.getLogger(__name__)

ACCOUNTS_FILE = "accounts.toml"
FILE_VERSION = 1
DEMO_PREFIX = "demo-"  # reserved for the sandbox's demo accounts
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
LOOPBACK_HOSTS = frozenset({"localhost"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def credential_specs(platform: str) -> tuple[CredentialSpec, ...]:
    """What an account of `platform` needs, as its adapter declares it."""
    return adapter_class(platform).credentials


def name_problem(name: str) -> str | None:
    if not NAME_PATTERN.fullmatch(name):
        return "use 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit"
    if name.startswith(DEMO_PREFIX):
        return f"names starting with {DEMO_PREFIX!r} are kept for the sandbox's demo accounts"
    return None


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be an account's host, or None. https only, except on loopback."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return "not a valid URL"
    if parts.username or parts.password:
        return "must not contain a user name or password (credentials go to the keyring)"
    if parts.query or parts.fragment:
        return "must not contain a query string or fragment"
    if parts.scheme not in ("http", "https") or not host:
        return "must be a full URL such as https://api.example.com"
    if parts.scheme == "http" and not is_loopback(host):
        return f"must use https (http is allowed only for 127.0.0.1, localhost or ::1, not {host})"
    return None


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prepare(account: Account, secrets: Mapping[str, str]) -> tuple[Account, dict[str, str]]:
    """Values as the user meant them: surrounding blanks trimmed, empty base URL = default.

    Secrets are registered for redaction here, before any check can fail and print anything.
    """
    secrets = {key: value.strip() for key, value in secrets.items()}
    for value in secrets.values():
        register_secret(value)
    base_url = (account.base_url or "").strip().rstrip("/") or None
    # An optional setting left empty is not a setting (so the file holds only what was given).
    settings = {key: value.strip() for key, value in account.settings.items() if value.strip()}
    cleaned = replace(account, name=account.name.strip(), base_url=base_url, settings=settings)
    return cleaned, secrets


def problems(
    account: Account, secrets: Mapping[str, str], existing: Collection[str] = ()
) -> dict[str, str]:
    """Every reason `account` cannot be saved, by field ("name", "platform", "base_url" or a
    credential key). Messages never contain a secret's value."""
    found: dict[str, str] = {}
    if (problem := name_problem(account.name)) is not None:
        found["name"] = problem
    elif account.name in existing:
        found["name"] = f"an account named {account.name!r} exists already"
    elif twins := [n for n in existing if env_var(n) == env_var(account.name)]:
        found["name"] = (
            f"too close to the account {twins[0]!r}: both would read {env_var(account.name)}"
        )
    if account.base_url and (problem := base_url_problem(account.base_url)) is not None:
        found["base_url"] = problem
    if account.platform not in NAMES:
        found["platform"] = f"unknown platform; use one of: {', '.join(NAMES)}"
        return found
    specs = {spec.key: spec for spec in credential_specs(account.platform)}
    for key, spec in specs.items():
        value = (secrets if spec.secret else account.settings).get(key, "")
        if not value:
            if spec.required:
                found[key] = f"{spec.label} is required"
        elif _CONTROL.search(value):
            found[key] = f"{spec.label} must be one line of printable text"
    for key in account.settings:
        if key in specs and specs[key].secret:
            found[key] = f"{specs[key].label} is a secret and cannot go in the accounts file"
        elif key not in specs:
            found[key] = f"{account.platform} has no setting {key!r}"
    for key in secrets:
        if key not in specs or not specs[key].secret:
            found[key] = f"{key!r} is not a secret of {account.platform}"
    return found


def _not_found(name: str, entries: Collection[str]) -> NotFoundError:
    known = ", ".join(entries) or "none yet; add one with `audience-tui accounts add`"
    return NotFoundError(f"no account named {name!r} (accounts: {known})")


class AccountStore:
    """The accounts file and the secrets of the accounts in it."""

    def __init__(
        self, config_dir: Path | None = None, *, environ: Mapping[str, str] | None = None
    ) -> None:
        config_dir = config_dir or Path(platformdirs.user_config_dir("audience-tui"))
        self.path = config_dir / ACCOUNTS_FILE
        self.vault = SecretStore(config_dir, environ)

    def accounts(self) -> list[Account]:
        return [self._account(name, entry) for name, entry in self._read().items()]

    def names(self) -> list[str]:
        return list(self._read())

    def get(self, name: str) -> Account:
        entries = self._read()
        if name not in entries:
            raise _not_found(name, entries)
        return self._account(name, entries[name])

    def secrets(self, account: Account) -> dict[str, str]:
        """Its secrets: keyring, else its environment variable, else the opted-in 0600 file."""
        return self.vault.load(account.name)

    def check(
        self,
        account: Account,
        secrets: Mapping[str, str],
        *,
        only: Collection[str] | None = None,
    ) -> tuple[Account, dict[str, str]]:
        """The values `add` would save, or ValidationError naming each bad field (just the
        fields in `only` when given: the command line checks the name before asking secrets)."""
        account, secrets = prepare(account, secrets)
        found = problems(account, secrets, existing=self.names())
        if only is not None:
            found = {key: message for key, message in found.items() if key in only}
        if found:
            raise ValidationError("; ".join(f"{key}: {message}" for key, message in found.items()))
        return account, secrets

    def add(
        self, account: Account, secrets: Mapping[str, str], *, secrets_file: bool = False
    ) -> str:
        """Save a new account and its secrets; returns where the secrets went, in words.

        ValidationError (naming each bad field) for a bad or taken name, an unknown platform, a
        plain-http base URL or missing credentials; nothing is written then. `secrets_file` is the
        user's explicit opt-in to the 0600 file instead of the keyring.
        """
        account, secrets = self.check(account, secrets)
        where = self.vault.save(account.name, secrets, to_file=secrets_file)
        entry: dict[str, Any] = {"platform": account.platform, "settings": dict(account.settings)}
        if account.base_url:
            entry["base_url"] = account.base_url
        entries = self._read()
        entries[account.name] = entry
        self._write(entries)
        log.info("account %s (%s) added; secrets in %s", account.name, account.platform, where)
        return where

    def remove(self, name: str) -> None:
        """Forget the account and its stored secrets (the secrets first, so none is orphaned)."""
        entries = self._read()
        if name not in entries:
            raise _not_found(name, entries)
        self.vault.delete(name)
        del entries[name]
        self._write(entries)
        log.info("account %s removed with its secrets", name)

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{self.path} is not valid TOML: {exc}") from None
        accounts = data.get("accounts", {})
        if not isinstance(accounts, dict) or not all(
            isinstance(entry, dict) for entry in accounts.values()
        ):
            raise ConfigError(f"{self.path}: [accounts.NAME] tables expected")
        return accounts

    def _write(self, entries: Mapping[str, Mapping[str, Any]]) -> None:
        document = {"version": FILE_VERSION, "accounts": dict(entries)}
        write_private(self.path, tomli_w.dumps(document))

    def _account(self, name: str, entry: Mapping[str, Any]) -> Account:
        platform, settings = entry.get("platform"), entry.get("settings", {})
        base_url = entry.get("base_url")
        if (
            not isinstance(platform, str)
            or not isinstance(settings, dict)
            or not isinstance(base_url, str | None)
        ):
            raise ConfigError(f"{self.path}: account {name!r} needs platform, settings, base_url")
        return Account(
            name=name,
            platform=platform,
            base_url=base_url,
            settings={str(k): str(v) for k, v in settings.items()},
        )
