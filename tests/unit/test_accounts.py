"""AccountStore: the accounts file, the keyring, and the explicit fallbacks when there is none."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring

from audience_tui.core.accounts import AccountStore, base_url_problem
from audience_tui.core.errors import ConfigError, NotFoundError, ValidationError
from audience_tui.core.models import Account
from audience_tui.core.secret_store import SERVICE, env_var

KEY, SECRET = "hl-key-7f3a9c", "hl-secret-Zq81xv"
SECRETS = {"api_key": KEY, "api_secret": SECRET}


def shop(name: str = "shop-oslo", **kw: object) -> Account:
    return Account(name=name, platform="heyloyalty", **kw)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> AccountStore:
    return AccountStore(tmp_path / "config", environ={})


@pytest.fixture
def no_keyring() -> None:
    keyring.set_keyring(FailKeyring())  # what headless Linux and containers get


def test_add_keeps_settings_in_the_file_and_secrets_in_the_keyring(store, memory_keyring):
    emma = Account("emma-staging", "emma", None, {"account_id": "1234"})
    emma_secrets = {"public_key": "pub-2a2a2a", "private_key": "priv-9b9b9b"}
    assert store.add(emma, emma_secrets) == "the OS keyring"
    store.add(shop(base_url="https://eu.example.com/"), SECRETS)

    assert [a.name for a in store.accounts()] == ["emma-staging", "shop-oslo"]
    assert store.get("emma-staging").settings == {"account_id": "1234"}
    assert store.get("shop-oslo").base_url == "https://eu.example.com"
    assert store.secrets(store.get("shop-oslo")) == SECRETS
    assert json.loads(memory_keyring.entries[(SERVICE, "emma-staging")]) == emma_secrets
    text = store.path.read_text()
    for secret in (*SECRETS.values(), *emma_secrets.values()):
        assert secret not in text
    assert "1234" in text
    assert store.path == store.path.parent / "accounts.toml"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("", "letters, digits"),
        ("-shop", "starting with a letter or digit"),
        ("shop oslo", "letters, digits"),
        ("shop/oslo", "letters, digits"),
        ("x" * 65, "1 to 64"),
        ("demo-mine", "demo accounts"),
    ],
)
def test_bad_names_are_refused_and_nothing_is_written(store, memory_keyring, name, expected):
    with pytest.raises(ValidationError, match=expected):
        store.add(shop(name), SECRETS)
    assert not store.path.exists()
    assert memory_keyring.entries == {}


def test_a_name_can_be_used_once(store):
    store.add(shop("a.b_c-1"), SECRETS)
    with pytest.raises(ValidationError, match="exists already"):
        store.add(shop("a.b_c-1"), SECRETS)


def test_names_that_share_an_environment_variable_are_refused(store):
    store.add(shop("shop.1"), SECRETS)
    with pytest.raises(ValidationError, match="both would read AUDIENCE_TUI_SECRETS_SHOP_1"):
        store.add(shop("SHOP-1"), SECRETS)


def test_unknown_platform_missing_and_misplaced_credentials_are_refused(store):
    with pytest.raises(ValidationError, match="platform: unknown platform; use one of: placewise"):
        store.add(Account("x", "mailchimp"), {})
    with pytest.raises(ValidationError, match="API secret is required"):
        store.add(shop(), {"api_key": KEY})
    with pytest.raises(ValidationError, match="cannot go in the accounts file") as info:
        store.add(shop(settings={"api_secret": SECRET}), {"api_key": KEY})
    assert SECRET not in str(info.value)
    with pytest.raises(ValidationError, match="must be one line"):
        store.add(shop(), {"api_key": KEY, "api_secret": "two\nlines"})
    assert not store.path.exists()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://api.heyloyalty.com", None),
        ("http://127.0.0.1:8765/heyloyalty", None),
        ("http://localhost:8765", None),
        ("http://[::1]:8765/x", None),
        ("http://api.heyloyalty.com", "must use https"),
        ("http://10.0.0.1", "must use https"),
        ("https://user:pw@proxy.example.com", "user name or password"),
        ("https://proxy.example.com/?token=1", "query string"),
        ("ftp://example.com", "full URL"),
        ("api.heyloyalty.com", "full URL"),
        ("https://example.com:99999", "not a valid URL"),
    ],
)
def test_base_urls_must_be_https_except_on_loopback(url, problem):
    found = base_url_problem(url)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_plain_http_base_url_is_refused_by_add(store):
    with pytest.raises(ValidationError, match="base_url: must use https"):
        store.add(shop(base_url="http://proxy.example.com"), SECRETS)


def test_unknown_account_names_the_known_ones(store):
    with pytest.raises(NotFoundError, match="none yet"):
        store.get("nope")
    store.add(shop("one"), SECRETS)
    store.add(shop("two"), SECRETS)
    with pytest.raises(NotFoundError, match="accounts: one, two") as info:
        store.get("three")
    assert info.value.exit_code == 5


def test_remove_forgets_the_account_and_its_secrets(store, memory_keyring):
    store.add(shop(), SECRETS)
    account = store.get("shop-oslo")
    store.remove("shop-oslo")
    assert memory_keyring.entries == {}
    assert store.accounts() == []
    with pytest.raises(NotFoundError):
        store.get("shop-oslo")
    with pytest.raises(ConfigError, match="no secrets are stored"):
        store.secrets(account)
    with pytest.raises(NotFoundError):
        store.remove("shop-oslo")


def test_without_a_keyring_add_says_so_in_one_sentence(store, no_keyring):
    with pytest.raises(ConfigError) as info:
        store.add(shop(), SECRETS)
    message = str(info.value)
    assert message.count(". ") == 0 and message.endswith(".")
    assert "No working keyring" in message
    assert env_var("shop-oslo") == "AUDIENCE_TUI_SECRETS_SHOP_OSLO"
    assert "AUDIENCE_TUI_SECRETS_SHOP_OSLO" in message
    assert "--secrets-file" in message and "0600" in message
    assert KEY not in message and SECRET not in message
    assert not store.path.exists()
    assert not store.vault.path.exists()


def test_a_plaintext_keyring_counts_as_none(store, memory_keyring, monkeypatch):
    plaintext = type("PlaintextKeyring", (), {"__module__": "keyrings.alt.file"})
    monkeypatch.setattr(keyring, "get_keyring", plaintext)
    with pytest.raises(ConfigError, match=r"No working keyring .*\(PlaintextKeyringError\)"):
        store.add(shop(), SECRETS)
    assert memory_keyring.entries == {}


def test_without_a_keyring_the_environment_variable_holds_the_secrets(tmp_path, no_keyring):
    environ = {env_var("shop-oslo"): json.dumps(SECRETS)}
    store = AccountStore(tmp_path, environ=environ)
    where = store.add(shop(), SECRETS)
    assert where == "the environment variable AUDIENCE_TUI_SECRETS_SHOP_OSLO"
    assert store.secrets(store.get("shop-oslo")) == SECRETS
    assert not store.vault.path.exists()


def test_a_malformed_environment_variable_is_named_not_quoted(tmp_path):
    store = AccountStore(tmp_path, environ={env_var("shop-oslo"): f"{SECRET} oops"})
    with pytest.raises(ConfigError, match="AUDIENCE_TUI_SECRETS_SHOP_OSLO is not a JSON") as info:
        store.vault.load("shop-oslo")
    assert SECRET not in str(info.value)


def test_without_a_keyring_the_opted_in_file_is_private(store, no_keyring):
    where = store.add(shop(), SECRETS, secrets_file=True)
    assert "0600" in where
    assert stat.S_IMODE(store.vault.path.stat().st_mode) == 0o600
    assert store.secrets(store.get("shop-oslo")) == SECRETS
    assert SECRET not in store.path.read_text()

    store.add(shop("other"), {"api_key": "k-other-1", "api_secret": "s-other-1"}, secrets_file=True)
    store.remove("shop-oslo")
    assert SECRET not in store.vault.path.read_text()
    assert store.secrets(store.get("other"))["api_key"] == "k-other-1"


def test_a_secrets_file_others_can_read_is_refused(store, no_keyring):
    store.add(shop(), SECRETS, secrets_file=True)
    os.chmod(store.vault.path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        store.secrets(store.get("shop-oslo"))


def test_with_no_keyring_and_nothing_else_loading_secrets_says_both_ways_out(store, no_keyring):
    store.path.parent.mkdir(parents=True)
    store.path.write_text('[accounts.shop-oslo]\nplatform = "heyloyalty"\n')
    with pytest.raises(ConfigError, match=r"AUDIENCE_TUI_SECRETS_SHOP_OSLO.*--secrets-file"):
        store.secrets(store.get("shop-oslo"))


def test_a_broken_accounts_file_is_a_config_error(store):
    store.path.parent.mkdir(parents=True)
    store.path.write_text("[accounts.x\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        store.accounts()
    store.path.write_text("[accounts.x]\nplatform = 3\n")
    with pytest.raises(ConfigError, match="needs platform"):
        store.accounts()
