"""What each platform can do, in words, from what its adapter declares (`capabilities`,
`erase_method`): the README's "What each platform can do" table and the platform section of
the `?` help are both made here, so neither can say something the code does not do.

`python -m audience_tui.core.capability_doc` prints the README's section.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .models import Capabilities, MemberStatus
from .platforms import PLATFORMS

if TYPE_CHECKING:  # the `?` help imports this module; adapters (and httpx) load on first use
    from .provider import Provider

IMPORTS: Mapping[str, str] = {
    "async": "in the background, with a status to follow",
    "sync": "answered at once, with counts",
    "untracked": "accepted, with no status to follow",
    "none": "none",
}
COLUMNS = (
    "paging",
    "filters on the server",
    "counts by field",
    "status views",
    "imports",
    "opt-out",
    "erase",
)


def _paging(caps: Capabilities) -> str:
    totals = "totals" if caps.totals_known else "no totals"
    return f"by {caps.paging}, {caps.max_page_size:,} a page, {totals}"


def _filters(caps: Capabilities) -> str:
    if not caps.filter_logic:
        return "none: the app checks every condition"
    return "conditions joined by " + " / ".join(sorted(caps.filter_logic))


def _counts(caps: Capabilities) -> str:
    if not caps.server_aggregates:
        return "scanned by the app"
    series = f"; time series: {', '.join(caps.timeseries)}" if caps.timeseries else ""
    return f"on the server where a field allows{series}"


def _statuses(statuses: tuple[MemberStatus, ...]) -> str:
    return ", ".join(status.value.replace("_", " ") for status in statuses)


def _imports(caps: Capabilities) -> str:
    rows = f" ({caps.import_max_rows:,} rows a request)" if caps.import_max_rows else ""
    return IMPORTS[caps.imports] + rows


def _opt_out(caps: Capabilities) -> str:
    scope = "every list at once" if caps.opt_out_scope == "account" else "one list at a time"
    return f"{scope}; can {caps.opt_out_channel}" if caps.opt_out_channel else scope


def described(adapter: type[Provider]) -> dict[str, str]:
    """Column -> what `adapter`'s platform does, in words."""
    caps, erase = adapter.capabilities, adapter.erase_method
    if erase is None:
        erasing = "none"
    else:
        erasing = f"`{erase.request}`" + (" (assumed)" if erase.assumed else "")
    return dict(
        zip(
            COLUMNS,
            (
                _paging(caps),
                _filters(caps),
                _counts(caps),
                _statuses(caps.statuses),
                _imports(caps),
                _opt_out(caps),
                erasing,
            ),
            strict=True,
        )
    )


def readme_section() -> str:
    """The README's section body: a table (a row a platform, a column a capability), then each
    platform's notes, folded (Markdown)."""
    adapters = [platform.adapter_class() for platform in PLATFORMS.values()]
    lines = ["| | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for adapter in adapters:
        lines.append(f"| {adapter.title} | " + " | ".join(described(adapter).values()) + " |")
    for adapter in adapters:
        lines += ["", f"<details><summary>{adapter.title}: what else to know</summary>", ""]
        lines += [f"- {note}" for note in adapter.capabilities.notes]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def help_section(adapter: type[Provider]) -> str:
    """The `?` help's section on the platform of the screen's account (Markdown)."""
    lines = [f"**What {adapter.title} can do**", ""]
    lines += [f"- {column}: {words}" for column, words in described(adapter).items()]
    lines += ["", "**What else to know**", ""]
    lines += [f"- {note}" for note in adapter.capabilities.notes]
    return "\n".join(lines)


if __name__ == "__main__":
    print(readme_section(), end="")
