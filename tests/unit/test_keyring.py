"""The keyring must really keep the secrets: no plaintext backend, also inside a chain, and a
backend that silently drops them (the null backend) is found by reading them back."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from conftest import MemoryKeyring
from keyring.backends import null
from keyring.backends.chainer import ChainerBackend

from audience_tui.core.errors import ConfigError
from audience_tui.core.secret_store import SERVICE, SecretStore, env_var

SECRETS = {"api_key": "key-5d5d5d", "api_secret": "secret-6e6e6e"}


class PlaintextKeyring(MemoryKeyring):
    """Stands for keyrings.alt's plain file (recognised by its module and name)."""


PlaintextKeyring.__module__ = "keyrings.alt.file"


class ReadOnlyKeyring(MemoryKeyring):
    """A backend that cannot take writes: a chain hands them on to its next backend."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NotImplementedError


def chain(*backends: object) -> ChainerBackend:
    return type("Chain", (ChainerBackend,), {"backends": list(backends)})()


@pytest.fixture
def store(tmp_path: Path) -> SecretStore:
    return SecretStore(tmp_path, environ={})


def refused(store: SecretStore, reason: str) -> str:
    with pytest.raises(ConfigError, match=rf"No working keyring .*\({reason}\)") as info:
        store.save("shop", SECRETS)
    message = str(info.value)
    assert env_var("shop") in message and "--secrets-file" in message  # the two ways out
    assert not any(secret in message for secret in SECRETS.values())
    return message


def test_a_chain_that_writes_to_a_plaintext_file_first_is_refused(store: SecretStore) -> None:
    plain, memory = PlaintextKeyring(), MemoryKeyring()
    keyring.set_keyring(chain(plain, memory))
    refused(store, "PlaintextKeyringError")
    assert plain.entries == {} and memory.entries == {}


def test_a_chain_that_hands_the_write_on_to_a_plaintext_file_is_refused(
    store: SecretStore,
) -> None:
    plain = PlaintextKeyring()
    keyring.set_keyring(chain(ReadOnlyKeyring(), plain))
    refused(store, "PlaintextKeyringError")
    assert plain.entries == {}  # what landed there is removed again


def test_a_chain_with_a_real_keyring_first_keeps_the_secrets_there(store: SecretStore) -> None:
    memory, plain = MemoryKeyring(), PlaintextKeyring()
    keyring.set_keyring(chain(memory, plain))
    assert store.save("shop", SECRETS) == "the OS keyring"
    assert (SERVICE, "shop") in memory.entries and plain.entries == {}
    assert store.load("shop") == SECRETS


def test_a_keyring_that_drops_the_secrets_is_refused(store: SecretStore) -> None:
    keyring.set_keyring(null.Keyring())
    assert "KeyringDroppedSecretError" in refused(store, "KeyringDroppedSecretError")
