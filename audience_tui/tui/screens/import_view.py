"""How an import reads on screen: its state word and the detail panel of the import monitor.

Everything here comes from a platform (ids, notes, row errors) or a file (its name), so it is
built as plain Text from cleaned values, never markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from rich.text import Text

from ...core.importer import StartedImport, refused
from ...core.models import ImportJob, ImportState
from ..widgets.cells import text

STATE_STYLES = {
    ImportState.QUEUED: "cyan",
    ImportState.RUNNING: "cyan",
    ImportState.FINISHED: "green",
    ImportState.FAILED: "red",
    ImportState.UNTRACKED: "yellow",
}
ROW_ERRORS_SHOWN = 100


def state_text(state: ImportState) -> Text:
    return Text(state.value, style=STATE_STYLES.get(state, ""))


def stamp(moment: datetime | None, form: str = "%Y-%m-%d %H:%M:%S %Z") -> str:
    """A time in the user's zone, to the second, with the zone's name."""
    return moment.astimezone().strftime(form) if moment else "—"


def zone() -> str:
    """The user's time zone, for the heading of columns of times ("Started (CET)")."""
    return datetime.now().astimezone().strftime("%Z") or "local time"


def when(moment: datetime | None) -> Text:
    """A table cell: the time to the minute without the year (the detail has seconds)."""
    return Text(stamp(moment, "%b %d %H:%M"), style="" if moment else "dim")


def counts(job: ImportJob) -> str:
    """ "sent 4 · added 2 · …" for the counts the platform gave (— for those it did not)."""
    pairs = (
        ("sent", job.submitted),
        ("added", job.added),
        ("updated", job.updated),
        ("skipped", job.skipped),
        ("errors", job.errors),
    )
    return " · ".join(f"{word} {'—' if n is None else f'{n:,}'}" for word, n in pairs)


def job_detail(
    job: ImportJob, names: Mapping[str, str], entry: StartedImport | None, said: str = ""
) -> Text:
    """The whole story of one import: times, counts, the platform's note, parts, refused rows.

    `said`: what the screen already says about the platform above the table; the note leaves
    it out rather than saying it twice."""
    out = Text().append("Import ", style="bold").append_text(text(job.id, "bold"))
    if job.audience_id:
        out.append(" into ").append_text(text(names.get(job.audience_id, job.audience_id)))
    out.append("  ").append_text(state_text(job.state))
    out.append(f"\nstarted {stamp(job.started_at)}, finished {stamp(job.finished_at)}\n")
    out.append(counts(job))
    if entry is not None:
        out.append("\nfrom ").append_text(text(Path(entry.file).name))
        out.append(f" ({entry.rows:,} rows sent)")
    note = job.note or ""
    if said and note.startswith(said.rstrip(". ")):
        note = note[len(said.rstrip(". ")) :].lstrip(". ")
    if note:
        out.append("\n").append_text(text(note, "italic"))
    if job.state is ImportState.UNTRACKED and entry is not None:
        out.append_text(_member_counts(entry))
    for part in job.parts:
        if part is job.parts[0]:
            out.append(f"\n\nParts ({len(job.parts)}):", style="bold")
        out.append("\n  ").append_text(text(part.note or part.id))
        out.append(" ").append_text(state_text(part.state)).append(f"  {counts(part)}")
    rejected = refused(job, entry)
    if rejected:
        shown = rejected[:ROW_ERRORS_SHOWN]
        out.append(f"\n\nRows refused ({len(rejected):,}):", style="bold")
        for error in shown:
            out.append("\n  ").append_text(text(error.row, "bold")).append(": ")
            out.append_text(text(error.message, "red"))
        if len(rejected) > len(shown):
            out.append(f"\n  … and {len(rejected) - len(shown):,} more", style="dim")
    elif job.state is ImportState.FINISHED and job.errors == 0:
        out.append("\n\nNo row was refused.", style="green")
    return out


def _member_counts(entry: StartedImport) -> Text:
    """What an untracked platform does report: the list's member count before and since."""
    before, now = entry.count_before, entry.count_now
    out = Text("\n\nWhat the platform does report: the list's member count, ", style="yellow")
    if before is None or now is None:
        return out.append("which it did not give.", style="yellow")
    change = now - before
    out.append(f"{before:,} before the import, {now:,} now ({change:+,}).", style="yellow")
    out.append(
        "\nIt cannot say which rows were added, updated or refused "
        "(updates do not change the count).",
        style="dim",
    )
    return out
