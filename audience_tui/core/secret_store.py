"""Where account secrets live: the OS keyring, or a place the user chose explicitly.

Secrets are looked up in the keyring (service "audience-tui", user = account name, the secrets as
one JSON object), then in the account's environment variable, then in the 0600 secrets file the
user opted into. Nothing here falls back to plaintext on its own: with no working keyring backend,
saving fails with one sentence naming the two explicit ways out. No secret value ever appears in a
message or a log line of this module.

`keyring` is imported on first use: it loads its backends (tens of ms), and the demo, the crash
report and the saved filters never need it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w

from .errors import ConfigError
from .private_files import write_private
from .redact import register_secret

if TYPE_CHECKING:
    from keyring.errors import KeyringError

log = logging.getLogger(__name__)

SERVICE = "audience-tui"
ENV_PREFIX = "AUDIENCE_TUI_SECRETS_"
SECRETS_FILE = "secrets.toml"


def env_var(name: str) -> str:
    """The environment variable that may hold the secrets of account `name`, as a JSON object."""
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def _checked(value: Any, where: str) -> dict[str, str]:
    """`value` if it is a mapping of strings (key -> secret); the error never quotes it."""
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(f"{where} is not a JSON object of strings (key -> secret)")
    for secret in value.values():
        register_secret(secret)
    return value


def _decode(text: str, where: str) -> dict[str, str]:
    try:
        value = json.loads(text)
    except ValueError:
        raise ConfigError(f"{where} is not a JSON object of strings (key -> secret)") from None
    return _checked(value, where)


class PlaintextKeyringError(Exception):
    """The backend that would take the secrets writes them in plain text (keyrings.alt's file)."""


class KeyringDroppedSecretError(Exception):
    """The keyring accepted the secrets but does not give them back (the null backend)."""


def _chain(backend: object) -> list[object]:
    """Every backend `backend` stands for, in the order it tries them (a ChainerBackend's list)."""
    members = getattr(backend, "backends", None)
    if not isinstance(members, list | tuple):
        return [backend]
    return [inner for member in members for inner in _chain(member)]


def _plaintext(backend: object) -> bool:
    kind = type(backend)
    return kind.__module__.startswith("keyrings.alt") and "Plaintext" in kind.__name__


def _refuse_plaintext(backend: object) -> None:
    """No silent plaintext: keyring picks keyrings.alt's plain file when nothing else works, also
    as the first (or only) backend of a chain."""
    chain = _chain(backend)
    if chain and _plaintext(chain[0]):
        raise PlaintextKeyringError(type(chain[0]).__name__)


def _check_kept(backend: object, name: str, payload: str) -> None:
    """The secrets read back from the keyring, and from no plaintext backend of its chain (a
    chain hands the write on to its next backend when one cannot take it)."""
    for member in _chain(backend):
        if _plaintext(member) and member.get_password(SERVICE, name) == payload:  # type: ignore[attr-defined]
            member.delete_password(SERVICE, name)  # type: ignore[attr-defined]
            raise PlaintextKeyringError(type(member).__name__)
    if backend.get_password(SERVICE, name) != payload:  # type: ignore[attr-defined]
        raise KeyringDroppedSecretError(type(backend).__name__)


class SecretStore:
    """The secrets of every account, by account name."""

    def __init__(self, config_dir: Path, environ: Mapping[str, str] | None = None) -> None:
        self.path = config_dir / SECRETS_FILE
        self._environ = os.environ if environ is None else environ

    def no_keyring(self, name: str, reason: Exception) -> ConfigError:
        """The one clear sentence for a machine where no keyring backend works."""
        return ConfigError(
            f"No working keyring to hold the secrets of account {name!r} "
            f"({type(reason).__name__}): either set the environment variable {env_var(name)} "
            'to a JSON object of its secrets ({"key": "secret", ...}), or opt in to a file '
            f"only you can read ({self.path}, mode 0600) by adding the account with "
            "--secrets-file."
        )

    def check_keyring(self, name: str) -> None:
        """Before anyone types a secret: `no_keyring`'s error where no keyring could keep the
        secrets of `name` (none works, or only a plaintext one) and no variable holds them."""
        if self.in_environment(name):
            return
        import keyring
        from keyring.backends.fail import Keyring as NoKeyring
        from keyring.errors import NoKeyringError

        backend = keyring.get_keyring()
        if isinstance(backend, NoKeyring):
            raise self.no_keyring(name, NoKeyringError())
        try:
            _refuse_plaintext(backend)
        except PlaintextKeyringError as exc:
            raise self.no_keyring(name, exc) from None

    def in_environment(self, name: str) -> bool:
        return env_var(name) in self._environ

    def from_environment(self, name: str) -> dict[str, str] | None:
        """The secrets in the account's environment variable, if the user set it."""
        if not self.in_environment(name):
            return None
        return _decode(self._environ[env_var(name)], f"${env_var(name)}")

    def load(self, name: str) -> dict[str, str]:
        """The secrets of `name`: keyring, else its environment variable, else the opted-in file."""
        import keyring
        from keyring.errors import KeyringError

        keyring_error: KeyringError | None = None
        try:
            stored = keyring.get_password(SERVICE, name)
        except KeyringError as exc:
            keyring_error, stored = exc, None
        if stored is not None:
            return _decode(stored, f"the keyring entry of account {name!r}")
        from_env = self.from_environment(name)
        if from_env is not None:
            return from_env
        from_file = self._read_file().get(name)
        if from_file is not None:
            return _checked(from_file, f"the entry of {name!r} in {self.path}")
        if keyring_error is not None:
            raise self.no_keyring(name, keyring_error)
        raise ConfigError(
            f"no secrets are stored for account {name!r}; remove it and add it again "
            f"(audience-tui accounts remove {name})"
        )

    def save(self, name: str, secrets: Mapping[str, str], *, to_file: bool = False) -> str:
        """Keep the secrets of `name`; returns where, in words for the user.

        `to_file` is the user's explicit opt-in to the 0600 file. An account whose environment
        variable is set keeps its secrets there: nothing is written anywhere else.
        """
        if to_file:
            entries = self._read_file()
            entries[name] = dict(secrets)
            write_private(self.path, tomli_w.dumps(entries))
            log.debug("secrets of %s written to the secrets file", name)
            return f"the secrets file {self.path} (mode 0600)"
        if self.in_environment(name):
            return f"the environment variable {env_var(name)}"
        import keyring
        from keyring.errors import KeyringError

        payload = json.dumps(dict(secrets))
        backend = keyring.get_keyring()
        try:
            _refuse_plaintext(backend)
            backend.set_password(SERVICE, name, payload)
            _check_kept(backend, name, payload)
        except (KeyringError, PlaintextKeyringError, KeyringDroppedSecretError) as exc:
            raise self.no_keyring(name, exc) from None
        log.debug("secrets of %s saved in the keyring", name)
        return "the OS keyring"

    def delete(self, name: str) -> None:
        """Forget the stored secrets of `name` (keyring and file; the environment is the user's)."""
        import keyring
        from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

        try:
            keyring.delete_password(SERVICE, name)
        except (PasswordDeleteError, NoKeyringError):
            pass  # nothing was stored there
        except KeyringError as exc:
            raise ConfigError(
                f"could not delete the keyring entry of account {name!r} "
                f"({type(exc).__name__}); unlock the keyring and try again"
            ) from None
        entries = self._read_file()
        if entries.pop(name, None) is not None:
            write_private(self.path, tomli_w.dumps(entries))
            log.debug("secrets of %s removed from the secrets file", name)

    def _read_file(self) -> dict[str, dict[str, str]]:
        """The opted-in secrets file, refusing one that other users can read."""
        try:
            mode = stat.S_IMODE(self.path.stat().st_mode)
        except FileNotFoundError:
            return {}
        if mode & 0o077:
            raise ConfigError(
                f"{self.path} can be read by other users (mode {mode:o}); "
                f"run `chmod 600 {self.path}` first"
            )
        try:
            data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            raise ConfigError(f"{self.path} is not a valid secrets file") from None
        if not all(isinstance(v, dict) for v in data.values()):
            raise ConfigError(f"{self.path} is not a valid secrets file (one table per account)")
        return data
