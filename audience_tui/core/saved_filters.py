"""Filters saved by name, per account and list, in `filters.toml` under the config dir.

The file holds account names, list ids, and the conditions (field, operator, value) as resolved
(choice values as option ids): never a credential. It is rewritten atomically, and only the entry
being saved or deleted changes: other entries stay exactly as read, even ones this version cannot
understand. A file that is not TOML gives one clear ConfigError and is never overwritten.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w

from .errors import ConfigError, NotFoundError, ValidationError
from .models import OPERATORS, Condition, Filter
from .private_files import write_private

FILTERS_FILE = "filters.toml"


class SavedFilters:
    """Read, save and delete named filters of one list (`account`, `audience_id`)."""

    def __init__(self, config_dir: Path | None = None) -> None:
        config_dir = config_dir or Path(platformdirs.user_config_dir("audience-tui"))
        self.path = config_dir / FILTERS_FILE

    def names(self, account: str, audience_id: str) -> list[str]:
        return sorted(self._entries(self._read(), account, audience_id), key=str.casefold)

    def get(self, account: str, audience_id: str, name: str) -> Filter:
        entries = self._entries(self._read(), account, audience_id)
        if name not in entries:
            raise NotFoundError(f"no saved filter named {name!r} for this list")
        return _decode(entries[name], name, self.path)

    def save(self, account: str, audience_id: str, name: str, filter: Filter) -> None:
        """Save (or replace) `name`; an empty name or filter is refused."""
        name = name.strip()
        if not name:
            raise ValidationError("give the filter a name")
        if not filter:
            raise ValidationError("there is no condition to save")
        document = self._read()
        lists = document.setdefault("filters", {}).setdefault(account, {})
        lists.setdefault(audience_id, {})[name] = _encode(filter)
        write_private(self.path, tomli_w.dumps(document))

    def delete(self, account: str, audience_id: str, name: str) -> bool:
        """Forget `name`; False if there was no such filter."""
        document = self._read()
        entries = self._entries(document, account, audience_id)
        if name not in entries:
            return False
        del entries[name]
        write_private(self.path, tomli_w.dumps(document))
        return True

    # --- the file ---------------------------------------------------------------------------
    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise ConfigError(f"cannot read {self.path}: {exc.strerror}") from exc
        try:
            return tomllib.loads(text)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{self.path} is not valid TOML ({exc}); saved filters are unavailable until it "
                "is fixed or moved away (it was left as it is)"
            ) from exc

    def _entries(self, document: dict[str, Any], account: str, audience_id: str) -> dict[str, Any]:
        """The saved filters of one list, as stored (an empty dict if the file has none)."""
        entries: Any = document.get("filters", {})
        for key in (account, audience_id):
            entries = entries.get(key, {}) if isinstance(entries, dict) else {}
        if not isinstance(entries, dict):
            raise ConfigError(f"{self.path}: the filters of this list are not a table")
        return entries


def _encode(filter: Filter) -> dict[str, Any]:
    conditions = []
    for condition in filter.conditions:
        entry: dict[str, Any] = {"field": condition.field, "op": condition.op}
        if condition.value is not None:  # TOML has no null: a unary operator has no value
            entry["value"] = condition.value
        conditions.append(entry)
    return {"logic": filter.logic, "conditions": conditions}


def _decode(entry: Any, name: str, path: Path) -> Filter:
    """A stored entry as a Filter; one this version cannot read gives a ConfigError naming it."""
    problem = ConfigError(f"{path}: saved filter {name!r} cannot be read; delete and save it again")
    if not isinstance(entry, dict) or entry.get("logic") not in ("and", "or"):
        raise problem
    conditions = entry.get("conditions")
    if not isinstance(conditions, list):
        raise problem
    out = []
    for item in conditions:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("field"), str)
            and item.get("op") in OPERATORS
        ):
            raise problem
        out.append(Condition(item["field"], item["op"], item.get("value")))
    return Filter(tuple(out), entry["logic"])
