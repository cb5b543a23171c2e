"""The settings file: good values applied, each bad value or unknown key one problem naming the
file, line and key while every other setting still applies, and the theme written back in place."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audience_tui.cli import main
from audience_tui.core.errors import ConfigError
from audience_tui.core.settings import PARSERS, Settings, load, remember, settings_path, show

GOOD = """\
# my settings
theme = "textual-light"
default_account = "shop-emma"
prefetch = 3
request_timeout = 12
audit_file = "~/records/audit.jsonl"
confirm_bulk_opt_out = false

[keys]
"table.opt_out" = "x"
app.lookup = ["slash", "ctrl+f"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_means_every_default() -> None:
    loaded = load()
    assert loaded.path == settings_path()
    assert loaded.settings == Settings()
    assert loaded.problems == []


def test_every_setting_is_read(tmp_path: Path) -> None:
    loaded = load(write(tmp_path, GOOD))
    assert loaded.problems == []
    got = loaded.settings
    assert (got.theme, got.default_account, got.prefetch) == ("textual-light", "shop-emma", 3)
    assert got.request_timeout == 12.0
    assert got.timeouts().read == 12.0 and got.timeouts().connect == 5.0
    assert got.audit_file == Path.home() / "records" / "audit.jsonl"
    assert got.confirm_bulk_opt_out is False
    assert got.keys == {"table.opt_out": "x", "app.lookup": "slash,ctrl+f"}


def test_bad_value_names_file_line_and_key_and_keeps_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("prefetch = 3", "prefetch = 99"))
    loaded = load(path)
    [problem] = loaded.problems
    assert (problem.path, problem.line, problem.key) == (path, 4, "prefetch")
    assert str(problem).startswith(f"{path}:4: prefetch: expected a whole number from 0 to 10")
    assert loaded.settings.prefetch == Settings().prefetch
    assert loaded.settings.theme == "textual-light"  # the good ones still apply


def test_unknown_key_and_bad_key_binding(tmp_path: Path) -> None:
    text = GOOD + '"table.export" = 5\n' + '[extra]\ncolour = "red"\n'
    text = text.replace("theme =", "them = 1\ntheme =")
    loaded = load(write(tmp_path, text))
    found = {(p.line, p.key) for p in loaded.problems}
    assert found == {(2, "them"), (13, "[keys] table.export"), (14, "extra")}
    assert "unknown setting" in next(str(p) for p in loaded.problems if p.key == "them")
    assert loaded.settings.keys == {"table.opt_out": "x", "app.lookup": "slash,ctrl+f"}


def test_invalid_toml_is_one_problem_with_its_line(tmp_path: Path) -> None:
    loaded = load(write(tmp_path, 'theme = "a"\nprefetch = = 2\n'))
    [problem] = loaded.problems
    assert problem.line == 2 and "not valid TOML" in problem.message
    assert loaded.settings == Settings()


def test_remember_replaces_the_line_and_keeps_comments_and_other_keys(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    remember(path, "theme", "nord")
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[:2] == ["# my settings", 'theme = "nord"']
    assert text.replace('"nord"', '"textual-light"') == GOOD
    remember(tmp_path / "new" / "settings.toml", "theme", "gruvbox")
    assert load(tmp_path / "new" / "settings.toml").settings.theme == "gruvbox"


def test_remember_inserts_before_the_first_table(tmp_path: Path) -> None:
    path = write(tmp_path, '[keys]\n"app.quit" = "f10"\n')
    remember(path, "theme", "nord")
    assert load(path).settings == Settings(theme="nord", keys={"app.quit": "f10"})


def test_remember_never_overwrites_a_broken_file(tmp_path: Path) -> None:
    path = write(tmp_path, "theme = [\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        remember(path, "theme", "nord")
    assert path.read_text(encoding="utf-8") == "theme = [\n"


def test_show_is_valid_toml_of_the_effective_settings(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("prefetch = 3", "prefetch = -1"))
    shown = show(load(path))
    assert shown.startswith(f"# {path}\n# problem: {path}:4: prefetch")
    data = tomllib.loads(shown)
    assert data["prefetch"] == Settings().prefetch and data["theme"] == "textual-light"
    assert data["keys"]["app.lookup"] == ["slash", "ctrl+f"]


# --- hypothesis: whatever a file holds, loading never raises and every problem is located ------
toml_values = st.recursive(
    st.none().map(lambda _: "x")
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
# a loaded CI machine must not fail these: they check outcomes, not speed
RELAXED = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
setting_names = st.sampled_from([*PARSERS, "keys", "colour", "table.opt_out"])


@settings(max_examples=150, deadline=None, suppress_health_check=RELAXED)
@given(document=st.dictionaries(setting_names, toml_values, max_size=5))
def test_any_document_loads_to_valid_settings(tmp_path: Path, document: dict[str, object]) -> None:
    path = write(tmp_path, tomli_w.dumps(document))
    loaded = load(path)
    assert isinstance(loaded.settings, Settings)
    for problem in loaded.problems:
        assert problem.path == path and problem.message
        assert problem.line is None or 1 <= problem.line <= len(path.read_text().splitlines())
    valid = {key for key in document if key in PARSERS} - {p.key for p in loaded.problems}
    for key in valid:
        assert getattr(loaded.settings, key) is not None


@settings(max_examples=150, deadline=None, suppress_health_check=RELAXED)
@given(text=st.text(alphabet='abc =[]"\n#.12', max_size=40))
def test_any_text_loads_without_raising(tmp_path: Path, text: str) -> None:
    loaded = load(write(tmp_path, text))
    assert isinstance(loaded.settings, Settings)
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        assert [p.key for p in loaded.problems] == ["(file)"]


def test_config_commands(capsys: pytest.CaptureFixture[str]) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('prefetch = 4\n[keys]\n"table.nope" = "z"\n', encoding="utf-8")
    assert main(["config", "path"]) == 0
    assert capsys.readouterr().out == f"{path}\n"
    assert main(["config", "show"]) == 0
    shown = capsys.readouterr().out
    assert f"# problem: {path}:3: [keys] table.nope: no binding has this id" in shown
    assert tomllib.loads(shown)["prefetch"] == 4
