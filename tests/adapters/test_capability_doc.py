"""The README's "What each platform can do" and the `?` help's platform section are made from
what each adapter declares (capabilities, erase method): the README must equal what they say."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from audience_tui.core.capability_doc import COLUMNS, described, help_section, readme_section
from audience_tui.core.platforms import PLATFORMS
from audience_tui.providers.kajabi.adapter import KajabiProvider

README = Path(__file__).parents[2] / "README.md"
START = "## What each platform can do\n\n"
GENERATED = "<!-- generated from each adapter's capabilities by "
END = "\n### Opt-outs:"


def readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index(START) + len(START) : text.index(END)]
    assert section.startswith(GENERATED), "the section says how it is made"
    return section.split("-->\n\n", 1)[1]


def test_the_readme_says_what_the_adapters_declare() -> None:
    assert readme_table() == readme_section(), (
        "README.md's 'What each platform can do' differs from the adapters' capabilities: "
        "paste the output of `python -m audience_tui.core.capability_doc` there"
    )


def test_a_capability_changed_in_an_adapter_shows_in_the_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        KajabiProvider, "capabilities", replace(KajabiProvider.capabilities, imports="async")
    )
    assert "| Kajabi |" in readme_section() and readme_table() != readme_section()


@pytest.mark.parametrize("name", list(PLATFORMS))
def test_every_platform_has_a_row_with_every_column_and_its_notes(name: str) -> None:
    adapter = PLATFORMS[name].adapter_class()
    words = described(adapter)
    assert list(words) == list(COLUMNS) and all(words.values())
    row = f"| {adapter.title} | " + " | ".join(words.values()) + " |"
    assert row in readme_section()
    section = help_section(adapter)
    assert section.startswith(f"**What {adapter.title} can do**")
    assert adapter.capabilities.notes
    for text in (*words.values(), *adapter.capabilities.notes):
        assert text in section and text in readme_section()


def test_words_follow_the_declared_values() -> None:
    emma = PLATFORMS["emma"].adapter_class()
    heyloyalty = PLATFORMS["heyloyalty"].adapter_class()
    assert described(emma)["filters on the server"] == "none: the app checks every condition"
    assert described(heyloyalty)["filters on the server"] == "conditions joined by and / or"
    assert described(emma)["opt-out"] == "every list at once"
    assert described(emma)["erase"].endswith("(assumed)")
    assert described(heyloyalty)["status views"] == "active, opted out, pending"
    assert described(KajabiProvider)["imports"] == "none"
