"""Saved filters: per account and list, by name, in filters.toml under the config dir; the file
holds no secret; a corrupt file gives one clear message and is never overwritten; other entries
survive a save or a delete untouched."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import platformdirs
import pytest

from audience_tui.core.errors import ConfigError, NotFoundError, ValidationError
from audience_tui.core.models import Condition, Filter
from audience_tui.core.saved_filters import SavedFilters

WOMEN_IN_AARHUS = Filter((Condition("sex", "eq", "2"), Condition("city", "eq", "Aarhus")))
EMPTY_OR_YOUNG = Filter(
    (Condition("email", "ie"), Condition("birthdate", "gt", "2000-01-01")), "or"
)
MUSIC_OR_BOOKS = Filter((Condition("interests", "in", ["1", "2"]),))


def test_save_list_reopen_delete() -> None:
    store = SavedFilters()
    assert store.path == Path(platformdirs.user_config_dir("audience-tui")) / "filters.toml"
    assert store.names("hey", "4711") == []
    store.save("hey", "4711", "Women in Aarhus", WOMEN_IN_AARHUS)
    store.save("hey", "4711", "empty or young", EMPTY_OR_YOUNG)
    store.save("hey", "9", "music", MUSIC_OR_BOOKS)
    store.save("other", "4711", "music", MUSIC_OR_BOOKS)
    assert store.names("hey", "4711") == ["empty or young", "Women in Aarhus"]
    again = SavedFilters()
    assert again.get("hey", "4711", "Women in Aarhus") == WOMEN_IN_AARHUS
    assert again.get("hey", "4711", "empty or young") == EMPTY_OR_YOUNG  # unary: no value
    assert again.get("hey", "9", "music") == MUSIC_OR_BOOKS
    store.save("hey", "4711", "Women in Aarhus", MUSIC_OR_BOOKS)  # same name: replaced
    assert store.get("hey", "4711", "Women in Aarhus") == MUSIC_OR_BOOKS
    assert store.delete("hey", "4711", "Women in Aarhus")
    assert not store.delete("hey", "4711", "Women in Aarhus")
    assert store.names("hey", "4711") == ["empty or young"]
    assert store.names("other", "4711") == ["music"]
    with pytest.raises(NotFoundError):
        store.get("hey", "4711", "Women in Aarhus")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    # names, list ids and conditions: nothing else (no credential) is written
    assert tomllib.loads(store.path.read_text()) == {
        "filters": {
            "hey": {"4711": {"empty or young": {"logic": "or", "conditions": [
                {"field": "email", "op": "ie"},
                {"field": "birthdate", "op": "gt", "value": "2000-01-01"},
            ]}}, "9": {"music": {"logic": "and", "conditions": [
                {"field": "interests", "op": "in", "value": ["1", "2"]},
            ]}}},
            "other": {"4711": {"music": {"logic": "and", "conditions": [
                {"field": "interests", "op": "in", "value": ["1", "2"]},
            ]}}},
        }
    }  # fmt: skip


def test_refuses_nameless_and_empty() -> None:
    store = SavedFilters()
    with pytest.raises(ValidationError, match="name"):
        store.save("hey", "1", "  ", WOMEN_IN_AARHUS)
    with pytest.raises(ValidationError, match="no condition"):
        store.save("hey", "1", "x", Filter())
    assert not store.path.exists()


def test_corrupt_file_one_message_nothing_lost() -> None:
    store = SavedFilters()
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_text('[filters.hey."1".x\nlogic = "and"\n')
    before = store.path.read_bytes()
    for attempt in (
        lambda: store.names("hey", "1"),
        lambda: store.save("hey", "1", "new", WOMEN_IN_AARHUS),
        lambda: store.delete("hey", "1", "x"),
    ):
        with pytest.raises(ConfigError, match=r"not valid TOML.*left as it is"):
            attempt()
    assert store.path.read_bytes() == before


def test_unreadable_entry_keeps_the_others() -> None:
    store = SavedFilters()
    store.save("hey", "1", "good", WOMEN_IN_AARHUS)
    document = store.path.read_text()
    store.path.write_text(document + '\n[filters.hey."1".odd]\nlogic = "xor"\nfuture = 1\n')
    with pytest.raises(ConfigError, match="'odd' cannot be read"):
        store.get("hey", "1", "odd")
    store.save("hey", "1", "another", MUSIC_OR_BOOKS)
    stored = tomllib.loads(store.path.read_text())["filters"]["hey"]["1"]
    assert stored["odd"] == {"logic": "xor", "future": 1}  # kept as it was
    assert store.get("hey", "1", "good") == WOMEN_IN_AARHUS
