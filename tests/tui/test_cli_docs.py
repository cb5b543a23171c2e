"""What the README and --help say about the command line holds: the settings example loads
without a problem, every exit code is documented, the install check is a command that works."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from audience_tui.cli import main
from audience_tui.commands.config import CONFIG_HELP
from audience_tui.core.settings import load
from audience_tui.tui.actions import keymap_problems

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
EXIT_CODES = (0, 1, 2, 3, 4, 5, 130, 141)


def toml_problems(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    loaded = load(path)
    return [str(p) for p in [*loaded.problems, *keymap_problems(loaded)]]


def test_the_readme_settings_example_has_no_problem(tmp_path: Path) -> None:
    (example,) = re.findall(r"```toml\n(.*?)```", README, flags=re.S)
    assert "[keys]" in example
    assert toml_problems(example, tmp_path) == []


def test_the_config_help_example_has_no_problem(tmp_path: Path) -> None:
    example = "\n".join(line.strip() for line in CONFIG_HELP.splitlines() if "=" in line)
    assert "[keys]" in CONFIG_HELP and '"table.opt_out"' in example
    keys = example[example.index('"table.opt_out"') :]
    assert toml_problems("[keys]\n" + keys, tmp_path) == []


def test_every_exit_code_is_documented(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = capsys.readouterr().out
    table = README[README.index("**Exit codes**") :]
    for code in EXIT_CODES:
        assert re.search(rf"^\| {code} \|", table, flags=re.M), code
        assert re.search(rf"\b{code} [a-z]", help_text), code


def test_the_install_check_is_the_installed_command() -> None:
    assert "python -m audience_tui --version" not in README
    assert "audience-tui --version" in README
