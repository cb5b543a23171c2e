"""The user's settings: one TOML file under platformdirs' config dir, next to accounts.toml.

A settings file is edited by hand, so a mistake in it must never stop the app: each bad value or
unknown key becomes a `Problem` that names the file, the line and the key, and that setting keeps
its default while the others still apply. A file that is not TOML at all gives one problem and
every default. Nothing here is secret (credentials live in the keyring), and `show` prints only the
settings this module knows, through `redact` all the same.

    theme = "textual-light"
    default_account = "shop-emma"       # opened at launch ("" = the accounts screen)
    prefetch = 2                        # pages fetched ahead of the table's cursor
    request_timeout = 20                # seconds before a platform request fails
    audit_file = "~/audit/audience.jsonl"
    confirm_bulk_opt_out = true         # ask before opting out several people at once
    [keys]                              # binding id = key(s), see `audience-tui keys`
    "table.opt_out" = "x"
    "app.lookup" = ["slash", "ctrl+f"]
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypedDict

import platformdirs
import tomli_w

from .audit import AuditLog, unusable
from .audit import default_path as default_audit_path
from .errors import ConfigError
from .redact import redact
from .timeouts import Timeouts

SETTINGS_FILE = "settings.toml"
KEYS_TABLE = "keys"
# A key name as Textual spells it ("o", "question_mark", "ctrl+shift+f1") or one character ("?").
KEY_NAME = re.compile(r"(?:[a-z0-9_]+\+)*(?:[A-Za-z0-9_]+|[^\s,])")
DOT = r"\s*\.\s*"  # a dotted TOML key may have spaces around its dots
CONNECT_TIMEOUT = 5.0  # seconds; never more than the request timeout


class SessionOptions(TypedDict):
    client_options: Mapping[str, object]
    audit: AuditLog


def settings_path() -> Path:
    return Path(platformdirs.user_config_dir("audience-tui")) / SETTINGS_FILE


@dataclass(frozen=True, slots=True)
class Settings:
    theme: str = "textual-dark"
    default_account: str = ""  # "" = start on the accounts screen
    prefetch: int = 2  # pages ahead of the table's cursor: one fell behind page-down (bench/)
    request_timeout: float = 30.0
    audit_file: Path = field(default_factory=default_audit_path)
    confirm_bulk_opt_out: bool = True
    keys: Mapping[str, str] = field(default_factory=dict)  # binding id -> "key1,key2"

    def timeouts(self) -> Timeouts:
        return Timeouts(
            connect=min(CONNECT_TIMEOUT, self.request_timeout), read=self.request_timeout
        )

    def session_options(self) -> SessionOptions:
        """What the settings change in a Session: request timeouts and the audit record's file."""
        return {"client_options": {"timeouts": self.timeouts()}, "audit": AuditLog(self.audit_file)}

    def as_toml(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["audit_file"] = str(self.audit_file)
        values[KEYS_TABLE] = {
            name: keys.split(",") if "," in keys else keys
            for name, keys in sorted(self.keys.items())
        }
        return values


DEFAULTS = Settings()  # for screens hosted by an app without settings (tests, embedding)


@dataclass(frozen=True, slots=True)
class Problem:
    path: Path
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.key}: {self.message}"


# --- one parser per setting: the value as the app uses it, or ValueError saying what is wanted ---
def _text(value: object) -> str:
    if not isinstance(value, str) or value != value.strip() or "\n" in value:
        raise ValueError("expected a one-line string")
    return value


def _whole(low: int, high: int) -> Callable[[object], int]:
    def parse(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return value

    return parse


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 600:
        raise ValueError("expected a number of seconds from 1 to 600")
    return float(value)


def _path(value: object) -> Path:
    return Path(os.path.expandvars(_text(value))).expanduser()


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def key_list(value: object) -> str:
    """One key or a list of keys, as Textual's comma-separated key string."""
    keys = [value] if isinstance(value, str) else value
    if not isinstance(keys, list) or not keys:
        raise ValueError('expected a key such as "x" or a list such as ["x", "f5"]')
    for key in keys:
        if not isinstance(key, str) or not KEY_NAME.fullmatch(key):
            raise ValueError(f'{key!r} is not a key name (e.g. "x", "f5", "ctrl+f")')
    return ",".join(keys)


PARSERS: Mapping[str, Callable[[object], Any]] = {
    "theme": _text,
    "default_account": _text,
    "prefetch": _whole(0, 10),
    "request_timeout": _seconds,
    "audit_file": _path,
    "confirm_bulk_opt_out": _flag,
}


@dataclass(frozen=True, slots=True)
class Loaded:
    """The effective settings, what was wrong with the file, and the file's text to locate keys."""

    settings: Settings
    problems: list[Problem]
    path: Path
    text: str = ""

    def problem(self, key: str, message: str, table: str | None = None) -> Problem:
        name = f"[{table}] {key}" if table else key
        return Problem(self.path, line_of(self.text, key, table), name, message)


def line_of(text: str, key: str, table: str | None = None) -> int | None:
    """The 1-based line where `key` is set in `table` (None = top level), if it can be found.

    tomllib reports no positions for values, so this scans for `key =` (quoted or dotted) in the
    right table; a key it cannot find is reported without a line rather than with a wrong one.
    """
    dotted = DOT.join(re.escape(part) for part in key.split("."))
    pattern = re.compile(rf'^\s*(?:"{re.escape(key)}"|{dotted})\s*=')
    current: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(r"^\s*\[\s*([^\[\]]+?)\s*\]", line)
        if header:
            current = header.group(1).strip('"')
            if table is None and current == key:  # an unknown table is reported at its header
                return number
        elif current == table and pattern.match(line):
            return number
    return None


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`table.opt_out = "x"` (unquoted: a nested table in TOML) read as the id "table.opt_out"."""
    flat: dict[str, Any] = {}
    for name, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def load(path: Path | None = None) -> Loaded:
    """The settings in `path` (default: the user's file); a missing file means every default."""
    path = path or settings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Loaded(Settings(), [], path)
    except (OSError, UnicodeDecodeError) as exc:
        return Loaded(Settings(), [Problem(path, None, "(file)", f"cannot be read: {exc}")], path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        problem = Problem(path, line, "(file)", f"not valid TOML ({exc}); every setting is default")
        return Loaded(Settings(), [problem], path, text)
    return parse(data, path, text)


def parse(data: Mapping[str, Any], path: Path, text: str = "") -> Loaded:
    """Settings from a parsed TOML document: each good value applied, each bad one a Problem."""
    loaded = Loaded(Settings(), [], path, text)
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == KEYS_TABLE:
            if isinstance(value, dict):
                values["keys"] = _keys(loaded, _flatten(value))
            else:
                message = 'expected a table: [keys] then lines such as "table.opt_out" = "x"'
                loaded.problems.append(loaded.problem(key, message))
        elif key in PARSERS:
            try:
                values[key] = PARSERS[key](value)
            except ValueError as exc:
                default = getattr(loaded.settings, key)
                loaded.problems.append(loaded.problem(key, f"{exc}; using {default!r}"))
        else:
            known = ", ".join([*PARSERS, KEYS_TABLE])
            message = f"unknown setting, ignored (known: {known})"
            loaded.problems.append(loaded.problem(key, message))
    if "audit_file" in values and (reason := unusable(values["audit_file"])):
        # kept, not replaced by the default: a record in another file would go unnoticed
        message = f"{values['audit_file']} {reason}; opt-outs and imports are refused until fixed"
        loaded.problems.append(loaded.problem("audit_file", message))
    return replace(loaded, settings=replace(loaded.settings, **values))


def _keys(loaded: Loaded, table: Mapping[str, Any]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for binding_id, value in table.items():
        try:
            keys[binding_id] = key_list(value)
        except ValueError as exc:
            message = f"{exc}; the default key is kept"
            loaded.problems.append(loaded.problem(binding_id, message, KEYS_TABLE))
    return keys


def remember(path: Path, key: str, value: str) -> None:
    """Set a top-level string setting in the file, keeping every other line (and comment) as is.

    Raises ConfigError when the file is not valid TOML: it is the user's, and not ours to replace.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); {key} was not saved") from None
    line = tomli_w.dumps({key: value}).strip()
    lines = text.splitlines()
    number = line_of(text, key)
    if number is not None:
        lines[number - 1] = line
    else:
        first_table = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("[")), None)
        lines.insert(len(lines) if first_table is None else first_table, line)
    updated = "\n".join(lines) + "\n"
    if tomllib.loads(updated).get(key) != value:  # a multi-line value we could not replace
        updated = tomli_w.dumps({**tomllib.loads(text), key: value})
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(updated, encoding="utf-8")
    temporary.replace(path)


def show(loaded: Loaded, problems: list[Problem] | None = None) -> str:
    """The effective settings as TOML, with the file and its problems as comments."""
    state = "" if loaded.path.exists() else " (not created yet: every value is the default)"
    lines = [f"# {loaded.path}{state}"]
    lines += [f"# problem: {p}" for p in (loaded.problems if problems is None else problems)]
    return redact("\n".join(lines) + "\n" + tomli_w.dumps(loaded.settings.as_toml()))
